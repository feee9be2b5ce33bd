'use strict';

exports.handler = function (event, context, callback) {
  var logger = context.getLogger();
  var names = ['info', 'warn', 'error', 'debug', 'setLevel'];
  var types = {};
  for (var i = 0; i < names.length; i++) {
    types[names[i]] = typeof logger[names[i]];
  }
  callback(null, types);
};
