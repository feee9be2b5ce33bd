'use strict';

exports.handler = function (event, context, callback) {
  var logger = context.getLogger();
  console.log('order-1-console');
  logger.info('order-2-logger');
  console.log('order-3-console');
  logger.info('order-4-logger');
  callback(null, 'ok');
};
