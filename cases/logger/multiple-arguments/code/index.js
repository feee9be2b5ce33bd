'use strict';

exports.handler = function (event, context, callback) {
  context.getLogger().info('hello', 'world', 42, true);
  callback(null, 'ok');
};
