'use strict';

// Would complete after 6 s, twice the 3 s timeout.
exports.handler = function (event, context, callback) {
  setTimeout(function () {
    callback(null, 'late result');
  }, 6000);
};
