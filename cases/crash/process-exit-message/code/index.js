'use strict';

var calls = 0;

// Counts the calls this process has served; {"exit": true} ends the process mid-call.
exports.handler = function (event, context, callback) {
  calls += 1;
  if (event.exit) {
    process.exit();
  }
  callback(null, { calls: calls });
};

