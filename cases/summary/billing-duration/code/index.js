'use strict';

// 250 ms and a fraction: a platform billing in 100 ms or 1 s units bills more than ceil(duration).
exports.handler = function (event, context, callback) {
  setTimeout(function () {
    callback(null, 'billed');
  }, 250);
};
