module.exports = 'dependency 21';
