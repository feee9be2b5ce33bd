'use strict';

exports.initializer = function (context, callback) {
  context.getLogger().info('written-by-initializer');
  callback(null, '');
};

exports.handler = function (event, context, callback) {
  callback(null, 'ok');
};
