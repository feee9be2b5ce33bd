module.exports = 'dependency 05';
