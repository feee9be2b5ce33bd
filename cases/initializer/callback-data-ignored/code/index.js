'use strict';

exports.initializer = function (context, callback) {
  callback(null, 'initializer data');
};

exports.handler = function (event, context, callback) {
  callback(null, 'handler result');
};
