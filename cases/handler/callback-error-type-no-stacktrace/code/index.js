'use strict';

exports.handler = function (event, context, callback) {
  callback(new TypeError('bad input'));
};
