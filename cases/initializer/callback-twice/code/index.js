'use strict';

exports.initializer = function (context, callback) {
  callback(null, '');
  callback(new Error('second completion is ignored'), '');
};

exports.handler = function (event, context, callback) {
  callback(null, 'handler ran');
};
