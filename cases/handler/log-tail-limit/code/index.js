'use strict';

// About 11 KB of output, then a marker line: only the end may survive in the log tail.
exports.handler = function (event, context, callback) {
  var filler = new Array(81).join('x');
  for (var i = 0; i < 120; i++) {
    var n = String(i);
    while (n.length < 3) {
      n = '0' + n;
    }
    console.log('filler-line-' + n + ' ' + filler);
  }
  console.log('tail-marker-end');
  callback(null, 'ok');
};
