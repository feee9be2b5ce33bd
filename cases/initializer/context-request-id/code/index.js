'use strict';

var seen = null;

exports.initializer = function (context, callback) {
  seen = { type: typeof context.getRequestID() };
  callback(null, '');
};

exports.handler = function (event, context, callback) {
  callback(null, seen);
};
