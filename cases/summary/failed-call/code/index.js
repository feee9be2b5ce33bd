'use strict';

exports.handler = function (event, context, callback) {
  throw new Error('summary on failure');
};
