module.exports = 'dependency 06';
