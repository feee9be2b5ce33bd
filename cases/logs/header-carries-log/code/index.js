'use strict';

exports.handler = function (event, context, callback) {
  console.log('header-marker ' + context.getRequestID());
  callback(null, 'ok');
};
