'use strict';

var calls = 0;

exports.handler = function (event, context, callback) {
  calls += 1;
  setTimeout(function () {
    callback(null, { call: calls });
  }, event.wait);
};
