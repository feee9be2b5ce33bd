'use strict';

exports.handler = function (event, context, callback) {
  callback(null, 'handler is not the configured export');
};
