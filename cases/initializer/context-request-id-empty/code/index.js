'use strict';

var inInitializer = null;

exports.initializer = function (context, callback) {
  inInitializer = context.getRequestID();
  callback(null, '');
};

exports.handler = function (event, context, callback) {
  callback(null, { initializer: inInitializer, handler: context.getRequestID() });
};
