'use strict';

// Completes after 1.5 s: past initializer_timeout (1 s), within the function timeout (3 s).
 exports.initializer = function (context, callback) {
   setTimeout(function () {
     callback(null, '');
   }, 1500);
 };

// Marks the log if the handler ever runs: it must not, the initializer failed.
exports.handler = function (event, context, callback) {
  console.log('HANDLER RAN');
  callback(null, 'handler ran');
};
