module.exports = 'dependency 18';
