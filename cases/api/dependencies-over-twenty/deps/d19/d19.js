module.exports = 'dependency 19';
