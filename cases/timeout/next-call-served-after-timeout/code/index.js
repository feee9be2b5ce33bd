'use strict';

// {"hang": true}: never calls back. Otherwise answers at once with the event's tag.
exports.handler = function (event, context, callback) {
  if (event.hang) {
    return;
  }
  callback(null, { tag: event.tag });
};
