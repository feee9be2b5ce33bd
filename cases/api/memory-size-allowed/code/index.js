'use strict';

exports.handler = function (event, context, callback) {
  callback(null, { memory: Number(context.getMemorySize()) });
};
