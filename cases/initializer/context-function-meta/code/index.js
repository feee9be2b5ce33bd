'use strict';

var seen = null;

exports.initializer = function (context, callback) {
  seen = { name: context.getFunctionName(), package: context.getPackage() };
  callback(null, '');
};

exports.handler = function (event, context, callback) {
  callback(null, seen);
};
