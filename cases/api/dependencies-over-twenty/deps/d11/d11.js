module.exports = 'dependency 11';
