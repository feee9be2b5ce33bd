'use strict';

// The call carries no credentials, so the handler never runs.
exports.handler = function (event, context, callback) {
  callback(null, 'unreachable');
};
