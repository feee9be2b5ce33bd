'use strict';

// Only CreateFunction's answer is checked: the handler never runs.

exports.handler = function (event, context, callback) {
  callback(null, 'unreachable');
};
