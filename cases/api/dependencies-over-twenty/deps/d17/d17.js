module.exports = 'dependency 17';
