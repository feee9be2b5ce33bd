'use strict';

var calls = 0;

// Counts the calls this process has served. {"throwIn": true}: a timer throws 100 ms into the
// call, before the callback due at 1 s. {"throwAfter": true}: answers at once, then a timer
// throws 200 ms later, between calls. No handler catches either throw.
exports.handler = function (event, context, callback) {
  calls += 1;
  if (event.throwIn) {
    setTimeout(function () { throw new Error('thrown from a timer during the call'); }, 100);
    setTimeout(function () { callback(null, { calls: calls }); }, 1000);
    return;
  }
  if (event.throwAfter) {
    setTimeout(function () { throw new Error('thrown from a timer after the answer'); }, 200);
  }
  callback(null, { calls: calls });
};

