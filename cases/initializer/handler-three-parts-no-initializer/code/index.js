'use strict';

var initRan = false;

exports.init = function (context, callback) {
  initRan = true;
  callback(null, '');
};

exports.handler = function (event, context, callback) {
  callback(null, { initRan: initRan });
};
