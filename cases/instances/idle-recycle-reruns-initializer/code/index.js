'use strict';

var initCount = 0;
var handlerCount = 0;

// Count the initializer's and the handler's runs in this process (this instance).
exports.initializer = function (context, callback) {
  initCount += 1;
  callback(null, '');
};

exports.handler = function (event, context, callback) {
  handlerCount += 1;
  callback(null, { initCount: initCount, handlerCount: handlerCount });
};

