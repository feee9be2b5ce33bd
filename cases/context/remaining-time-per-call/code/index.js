'use strict';

exports.handler = function (event, context, callback) {
  var wait = event.wait || 0;
  setTimeout(function () {
    callback(null, { remaining: Number(context.getRemainingTimeInMilliSeconds()) });
  }, wait);
};
