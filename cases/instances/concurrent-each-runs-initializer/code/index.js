'use strict';

var initCount = 0;
var handlerCount = 0;

// Count the initializer's and the handler's runs in this process (this instance).
exports.initializer = function (context, callback) {
  initCount += 1;
  callback(null, '');
};

// Holds the call long enough that the three calls overlap on any platform.
exports.handler = function (event, context, callback) {
  handlerCount += 1;
  setTimeout(function () {
    callback(null, { initCount: initCount, handlerCount: handlerCount });
  }, 700);
};
