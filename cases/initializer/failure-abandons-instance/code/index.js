'use strict';

var runs = 0;

// Fails on its first run in a process, succeeds on any later run in the same process.
exports.initializer = function (context, callback) {
  runs += 1;
  if (runs === 1) {
    callback(new Error('first run in this instance fails'), '');
    return;
  }
  callback(null, '');
};

exports.handler = function (event, context, callback) {
  console.log('HANDLER RAN');
  callback(null, { runs: runs });
};
