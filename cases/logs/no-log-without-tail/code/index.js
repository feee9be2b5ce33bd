'use strict';

exports.handler = function (event, context, callback) {
  console.log('a line nobody asked for');
  callback(null, 'ok');
};
