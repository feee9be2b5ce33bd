module.exports = 'dependency 14';
