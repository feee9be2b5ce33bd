'use strict';

exports.handler = function (event, context, callback) {
  var first = Number(context.getRemainingTimeInMilliSeconds());
  setTimeout(function () {
    var second = Number(context.getRemainingTimeInMilliSeconds());
    callback(null, { first: first, drop: first - second });
  }, 500);
};
