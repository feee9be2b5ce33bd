module.exports = 'dependency 02';
