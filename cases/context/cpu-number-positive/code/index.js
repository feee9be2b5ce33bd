'use strict';

exports.handler = function (event, context, callback) {
  var cpu = Number(context.getCPUNumber());
  callback(null, { cpu: isFinite(cpu) ? cpu : String(context.getCPUNumber()) });
};
