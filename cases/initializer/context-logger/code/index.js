'use strict';

var seen = null;

exports.initializer = function (context, callback) {
  var logger = context.getLogger();
  logger.info('Initializing:', context.getFunctionName());
  seen = { info: typeof logger.info };
  callback(null, '');
};

exports.handler = function (event, context, callback) {
  callback(null, seen);
};
