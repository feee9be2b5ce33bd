'use strict';

exports.handler = function (event, context, callback) {
  var logger = context.getLogger();
  logger.setLevel('ERROR');
  logger.setLevel('VERBOSE');
  logger.info('hidden-info-marker');
  logger.error('visible-error-marker');
  callback(null, 'ok');
};
