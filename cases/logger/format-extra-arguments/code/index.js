'use strict';

exports.handler = function (event, context, callback) {
  context.getLogger().info('x=%s', 'one', 'two', 3);
  callback(null, 'ok');
};
