'use strict';

// Declares the 3 parameters Node.js 6.10 requires, returns a Promise that is already
// resolved, and calls back 300 ms later.
exports.handler = function (event, context, callback) {
  setTimeout(function () {
    callback(null, 'from-callback');
  }, 300);
  return Promise.resolve('from-promise');
};
