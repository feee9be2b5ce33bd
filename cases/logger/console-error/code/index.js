'use strict';

exports.handler = function (event, context, callback) {
  console.error('stderr-marker %d', 7);
  callback(null, 'ok');
};
