'use strict';

exports.handler = function (event, context, callback) {
  var t = context.getRunningTimeInSeconds();
  callback(null, { type: typeof t, value: t });
};
