module.exports = 'dependency 15';
