'use strict';

function env(name) {
  return process.env[name] === undefined ? null : process.env[name];
}

exports.initializer = function (context, callback) {
  callback(null, '');
};

exports.handler = function (event, context, callback) {
  callback(null, {
    initializer: env('RUNTIME_INITIALIZER_HANDLER'),
    initializerTimeout: env('RUNTIME_INITIALIZER_TIMEOUT'),
  });
};
