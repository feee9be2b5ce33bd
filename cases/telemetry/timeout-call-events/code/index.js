'use strict';

// Would answer only after 6 s, twice the 3 s timeout: the call times out first.
exports.handler = function (event, context, callback) {
  setTimeout(function () {
    callback(null, 'late result');
  }, 6000);
};
