'use strict';

// Logs a line, then answers only at 6 s, long after the 3 s timeout.
exports.handler = function (event, context, callback) {
  console.log('written before the timeout');
  setTimeout(function () { callback(null, 'too late'); }, 6000);
};
