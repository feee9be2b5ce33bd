'use strict';

exports.handler = function (event, context, callback) {
  callback(null, 'ok');
  throw new Error('thrown after calling back');
};
