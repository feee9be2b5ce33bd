'use strict';

// Logs a line, then never calls back.
exports.handler = function (event, context, callback) {
  console.log('written before the timeout');
};
