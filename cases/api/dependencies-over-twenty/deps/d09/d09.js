module.exports = 'dependency 09';
