'use strict';

// Only ListFunctions is called: the handler never runs.
exports.handler = function (event, context, callback) {
  callback(null, 'unreachable');
};
