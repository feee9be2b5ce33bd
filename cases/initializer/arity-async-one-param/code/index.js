'use strict';

exports.initializer = async (context) => {
 };

// Marks the log if the handler ever runs: it must not, the initializer failed.
exports.handler = function (event, context, callback) {
  console.log('HANDLER RAN');
  callback(null, 'handler ran');
};
