module.exports = 'dependency 20';
