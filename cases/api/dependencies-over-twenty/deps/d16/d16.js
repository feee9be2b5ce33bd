module.exports = 'dependency 16';
