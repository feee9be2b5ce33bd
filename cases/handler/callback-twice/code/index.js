'use strict';

exports.handler = function (event, context, callback) {
  callback(null, 'first');
  callback(null, 'second');
};
