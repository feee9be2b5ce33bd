'use strict';

exports.handler = function (event, context, callback) {
  var logger = context.getLogger();
  logger.setLevel('ERROR');
  logger.info('hidden-info-marker');
  logger.warn('hidden-warn-marker');
  logger.debug('hidden-debug-marker');
  logger.error('visible-error-marker');
  callback(null, 'ok');
};
