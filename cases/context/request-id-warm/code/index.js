'use strict';

var calls = 0;

exports.handler = function (event, context, callback) {
  calls++;
  callback(null, { calls: calls, requestID: context.getRequestID() });
};
