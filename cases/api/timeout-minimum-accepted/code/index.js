'use strict';

exports.handler = function (event, context, callback) {
  callback(null, { remaining: context.getRemainingTimeInMilliSeconds() });
};
