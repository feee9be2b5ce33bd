'use strict';

function env(name) {
  return process.env[name] === undefined ? null : process.env[name];
}

exports.entry = function (event, context, callback) {
  callback(null, { handler: env('RUNTIME_HANDLER') });
};
