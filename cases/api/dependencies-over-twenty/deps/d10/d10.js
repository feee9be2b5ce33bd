module.exports = 'dependency 10';
