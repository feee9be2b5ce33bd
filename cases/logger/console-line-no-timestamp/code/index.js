'use strict';

exports.handler = function (event, context, callback) {
  console.log('console-line-marker');
  context.getLogger().info('logger-line-marker');
  callback(null, 'ok');
};
