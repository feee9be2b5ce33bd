'use strict';

exports.handler = function (event, context, callback) {
  var logger = context.getLogger();
  logger.setLevel('debug');
  logger.debug('hidden-debug-marker');
  logger.info('visible-info-marker');
  callback(null, 'ok');
};
