'use strict';

var calls = 0;

// Counts the calls this process (this instance) has served.
exports.handler = function (event, context, callback) {
  calls += 1;
  callback(null, { calls: calls });
};

