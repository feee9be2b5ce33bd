'use strict';

// {"hang": true}: answers only at 6 s, long after the 3 s timeout. Otherwise answers at once
// with the event's tag.
exports.handler = function (event, context, callback) {
  if (event.hang) {
    setTimeout(function () { callback(null, { tag: 'too late' }); }, 6000);
    return;
  }
  callback(null, { tag: event.tag });
};
