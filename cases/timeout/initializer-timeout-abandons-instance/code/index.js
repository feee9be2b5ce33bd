'use strict';

var runs = 0;

// Slow (1.5 s, past initializer_timeout) on its first run in a process, immediate after that.
exports.initializer = function (context, callback) {
  runs += 1;
  if (runs === 1) {
    setTimeout(function () { callback(null, ''); }, 1500);
    return;
  }
  callback(null, '');
};

// Marks the log if the handler ever runs: it must not, every initialization failed.
exports.handler = function (event, context, callback) {
  console.log('HANDLER RAN');
  callback(null, { runs: runs });
};
