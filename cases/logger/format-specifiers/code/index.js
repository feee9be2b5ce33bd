'use strict';

exports.handler = function (event, context, callback) {
  context.getLogger().info('s=%s d=%d j=%j', 'text', 42, { a: 1 });
  callback(null, 'ok');
};
