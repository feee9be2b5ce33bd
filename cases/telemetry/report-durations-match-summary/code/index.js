'use strict';

// Takes a while, so the call's duration is more than a rounding error.
exports.handler = function (event, context, callback) {
  setTimeout(function () {
    callback(null, 'ok');
  }, 120);
};
