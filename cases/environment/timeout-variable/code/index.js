'use strict';

function env(name) {
  return process.env[name] === undefined ? null : process.env[name];
}

exports.handler = function (event, context, callback) {
  callback(null, { timeout: env('RUNTIME_TIMEOUT') });
};
