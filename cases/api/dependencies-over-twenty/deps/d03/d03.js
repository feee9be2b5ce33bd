module.exports = 'dependency 03';
