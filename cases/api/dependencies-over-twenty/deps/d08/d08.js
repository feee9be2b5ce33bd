module.exports = 'dependency 08';
