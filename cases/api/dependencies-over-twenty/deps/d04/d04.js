module.exports = 'dependency 04';
