'use strict';

exports.handler = function (event, context, callback) {
  callback(null, {
    getTraceID: typeof context.getTraceID,
    getInvokeID: typeof context.getInvokeID,
    getInvokeProperty: typeof context.getInvokeProperty,
    getInstanceID: typeof context.getInstanceID,
    getState: typeof context.getState,
    // A context without getters at all would pass the rest.
    getRequestID: typeof context.getRequestID,
  });
};
