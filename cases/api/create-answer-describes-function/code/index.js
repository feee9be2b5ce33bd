'use strict';

// Only CreateFunction's answer is checked: neither entry point runs.
exports.initializer = function (context, callback) {
  callback(null, '');
};

exports.handler = function (event, context, callback) {
  callback(null, 'unreachable');
};
