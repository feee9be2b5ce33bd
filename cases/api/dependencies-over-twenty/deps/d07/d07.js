module.exports = 'dependency 07';
