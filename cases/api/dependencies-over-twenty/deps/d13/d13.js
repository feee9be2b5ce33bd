module.exports = 'dependency 13';
