'use strict';

function env(name) {
  return process.env[name] === undefined ? null : process.env[name];
}

exports.handler = function (event, context, callback) {
  callback(null, {
    name: env('RUNTIME_FUNC_NAME'),
    version: env('RUNTIME_FUNC_VERSION'),
    memory: env('RUNTIME_MEMORY'),
    project: env('RUNTIME_PROJECT_ID'),
  });
};
