'use strict';

exports.handler = function (event, context, callback) {
  throw new Error('failure-shown-in-log');
};
