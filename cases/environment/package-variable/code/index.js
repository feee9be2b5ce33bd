'use strict';

function env(name) {
  return process.env[name] === undefined ? null : process.env[name];
}

exports.handler = function (event, context, callback) {
  callback(null, { package: env('RUNTIME_PACKAGE'), name: env('RUNTIME_FUNC_NAME') });
};
