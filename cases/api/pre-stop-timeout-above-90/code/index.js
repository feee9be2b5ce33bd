'use strict';

// CreateFunction must refuse this function: the handler never runs.
exports.handler = function (event, context, callback) {
  callback(null, 'unreachable');
};
