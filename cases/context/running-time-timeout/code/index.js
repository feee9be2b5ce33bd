'use strict';

exports.handler = function (event, context, callback) {
  callback(null, { timeout: Number(context.getRunningTimeInSeconds()) });
};
