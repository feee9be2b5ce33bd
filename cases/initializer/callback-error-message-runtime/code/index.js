'use strict';

exports.initializer = function (context, callback) {
  callback(new Error('init boom'), '');
};

exports.handler = function (event, context, callback) {
  callback(null, 'handler ran');
};
