'use strict';

var initCount = 0;
var handlerCount = 0;
var handlerCountAtInit = null;

exports.initializer = function (context, callback) {
  initCount += 1;
  handlerCountAtInit = handlerCount;
  callback(null, '');
};

exports.handler = function (event, context, callback) {
  handlerCount += 1;
  callback(null, { initCount: initCount, handlerCountAtInit: handlerCountAtInit, handlerCount: handlerCount });
};
