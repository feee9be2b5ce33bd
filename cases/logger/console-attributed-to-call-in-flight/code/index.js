'use strict';

var secondCallStarted = false;

exports.handler = function (event, context, callback) {
  if (event.call === 'first') {
    // Created by this call, it writes only once the next call has begun: no race decides
    // which call is in flight then.
    var timer = setInterval(function () {
      if (!secondCallStarted) return;
      clearInterval(timer);
      console.log('written-by-first-call-timer');
    }, 10);
    callback(null, 'first');
    return;
  }
  secondCallStarted = true;
  setTimeout(function () { callback(null, 'second'); }, 500);
};
