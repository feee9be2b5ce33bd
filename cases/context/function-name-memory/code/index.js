'use strict';

exports.handler = function (event, context, callback) {
  callback(null, {
    name: context.getFunctionName(),
    memory: Number(context.getMemorySize()),
  });
};
