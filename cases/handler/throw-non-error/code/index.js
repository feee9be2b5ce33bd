'use strict';

exports.handler = function (event, context, callback) {
  throw 'plain throw';
};
