module.exports = 'dependency 12';
