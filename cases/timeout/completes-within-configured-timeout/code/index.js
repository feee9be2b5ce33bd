'use strict';

// 3.4 s: past the minimum timeout (3 s), within this function's (4 s).
exports.handler = function (event, context, callback) {
  setTimeout(function () {
    callback(null, { done: true });
  }, 3400);
};
