module.exports = 'dependency 01';
