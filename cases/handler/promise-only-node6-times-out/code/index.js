'use strict';

exports.handler = function (event, context, callback) {
  return Promise.resolve('from-promise');
};
