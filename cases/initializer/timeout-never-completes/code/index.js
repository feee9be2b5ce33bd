'use strict';

// Never calls back and returns nothing: initialization can only end by its timeout.
 exports.initializer = function (context, callback) {
 };

// Marks the log if the handler ever runs: it must not, the initializer failed.
exports.handler = function (event, context, callback) {
  console.log('HANDLER RAN');
  callback(null, 'handler ran');
};
