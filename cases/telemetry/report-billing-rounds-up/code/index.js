'use strict';

// Answers after a few milliseconds, so that the call lasts a duration with a fraction to
// round (a call of no measurable duration would bill its minimum).
exports.handler = function (event, context, callback) {
  setTimeout(function () {
    callback(null, 'ok');
  }, 25);
};
