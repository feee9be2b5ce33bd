'use strict';

exports.initializer = function (context, callback) {
   return Promise.resolve('done');
 };

// Marks the log if the handler ever runs: it must not, the initializer failed.
exports.handler = function (event, context, callback) {
  console.log('HANDLER RAN');
  callback(null, 'handler ran');
};
