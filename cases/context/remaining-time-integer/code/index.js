'use strict';

exports.handler = function (event, context, callback) {
  var remaining = context.getRemainingTimeInMilliSeconds();
  callback(null, { type: typeof remaining, value: remaining });
};
