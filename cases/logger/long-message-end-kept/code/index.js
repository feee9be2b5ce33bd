'use strict';

exports.handler = function (event, context, callback) {
  context.getLogger().info(new Array(10001).join('y') + '-long-end');
  callback(null, 'ok');
};
