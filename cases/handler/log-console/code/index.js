'use strict';

exports.handler = function (event, context, callback) {
  console.log('hello from console');
  callback(null, 'ok');
};
