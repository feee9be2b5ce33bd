'use strict';

// Allocates event.mb megabytes and holds them for event.holdMs before answering.
// kind 'buffer': one Buffer filled byte by byte (resident outside the JS heap);
// kind 'heap': JS arrays of numbers, 1 MB each (on the JS heap).
function allocate(kind, mb) {
  if (kind === 'buffer') {
    return Buffer.alloc(mb * 1024 * 1024, 1);
  }
  var chunks = [];
  for (var i = 0; i < mb; i += 1) {
    var chunk = new Array(131072); // 131072 doubles x 8 bytes = 1 MB
    for (var j = 0; j < chunk.length; j += 1) { chunk[j] = i + j + 0.5; }
    chunks.push(chunk);
  }
  return chunks;
}

exports.handler = function (event, context, callback) {
  var held = allocate(event.kind, event.mb);
  setTimeout(function () {
    callback(null, { allocated: held.length > 0, mb: event.mb });
  }, event.holdMs);
};
