'use strict';

exports.handler = function (event, context, callback) {
  setTimeout(function () {
    callback(null, 'slept');
  }, 500);
};
