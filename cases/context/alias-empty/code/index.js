'use strict';

exports.handler = function (event, context, callback) {
  var alias = context.getAlias();
  callback(null, { type: typeof alias, alias: alias });
};
