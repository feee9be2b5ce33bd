'use strict';

function connect() {
  throw new Error('init-failure-logged');
}

exports.initializer = function (context, callback) {
  connect();
  callback(null, '');
};

exports.handler = function (event, context, callback) {
  callback(null, 'handler ran');
};
