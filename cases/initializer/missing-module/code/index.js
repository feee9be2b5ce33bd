'use strict';

// The function is configured with notExists.handler / notExists.initializer: this file is
 // never loaded.
 exports.initializer = function (context, callback) {
   callback(null, '');
 };

// Marks the log if the handler ever runs: it must not, the initializer failed.
exports.handler = function (event, context, callback) {
  console.log('HANDLER RAN');
  callback(null, 'handler ran');
};
