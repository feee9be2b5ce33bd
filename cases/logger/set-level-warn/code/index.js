'use strict';

exports.handler = function (event, context, callback) {
  var logger = context.getLogger();
  logger.setLevel('WARN');
  logger.info('hidden-info-marker');
  logger.debug('hidden-debug-marker');
  logger.warn('visible-warn-marker');
  logger.error('visible-error-marker');
  callback(null, 'ok');
};
