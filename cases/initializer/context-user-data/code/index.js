'use strict';

var seen = null;

exports.initializer = function (context, callback) {
  seen = { greeting: context.getUserData('INIT_GREETING') };
  callback(null, '');
};

exports.handler = function (event, context, callback) {
  callback(null, seen);
};
