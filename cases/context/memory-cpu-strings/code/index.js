'use strict';

exports.handler = function (event, context, callback) {
  var memory = context.getMemorySize();
  var cpu = context.getCPUNumber();
  callback(null, { memoryType: typeof memory, memory: memory, cpuType: typeof cpu });
};
