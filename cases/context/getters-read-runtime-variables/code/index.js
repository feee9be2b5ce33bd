'use strict';

function env(name) {
  return process.env[name] === undefined ? null : process.env[name];
}

function orNull(value) {
  return value === undefined ? null : value;
}

exports.handler = function (event, context, callback) {
  var fromJson = {};
  try {
    fromJson = JSON.parse(process.env.RUNTIME_USERDATA);
  } catch (e) {
    fromJson = { unparsable: String(process.env.RUNTIME_USERDATA) };
  }
  // Without its own variable, only RUNTIME_USERDATA can still give the entry.
  delete process.env.GREETING;
  callback(null, {
    name: { getter: orNull(context.getFunctionName()), env: env('RUNTIME_FUNC_NAME') },
    pkg: { getter: orNull(context.getPackage()), env: env('RUNTIME_PACKAGE') },
    version: { getter: orNull(context.getVersion()), env: env('RUNTIME_FUNC_VERSION') },
    userData: {
      greeting: orNull(context.getUserData('GREETING')),
      mode: orNull(context.getUserData('MODE')),
      json: fromJson,
    },
  });
};
