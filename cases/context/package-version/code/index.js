'use strict';

exports.handler = function (event, context, callback) {
  callback(null, { package: context.getPackage(), version: context.getVersion() });
};
