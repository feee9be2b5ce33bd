'use strict';

exports.handler = function (event, context, callback) {
  throw new TypeError('bad input');
};
