'use strict';

exports.handler = function (event, context) {
  return Promise.reject(new RangeError('out of range'));
};
