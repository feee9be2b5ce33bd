'use strict';

exports.handler = function (event, context, callback) {
  callback(null, 'index.js is not the configured file');
};
