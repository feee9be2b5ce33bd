'use strict';

exports.handler = function (event, context, callback) {
  context.getLogger().error('broken');
  callback(null, 'ok');
};
