'use strict';

exports.handler = function (event, context, callback) {
  context.getLogger().warn('careful');
  callback(null, 'ok');
};
