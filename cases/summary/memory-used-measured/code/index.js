'use strict';

// Touch every page of a 64 MiB buffer so it is resident while the call runs.
exports.handler = function (event, context, callback) {
  var buffer = Buffer.alloc(64 * 1024 * 1024);
  buffer.fill(7);
  callback(null, { bytes: buffer.length, last: buffer[buffer.length - 1] });
};
