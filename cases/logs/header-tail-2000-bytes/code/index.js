'use strict';

// About 20 KB of numbered filler lines, then a marker: only the end fits in a log tail.
exports.handler = function (event, context, callback) {
  var filler = new Array(91).join('x');
  for (var i = 0; i < 200; i++) {
    var n = String(i);
    while (n.length < 3) {
      n = '0' + n;
    }
    console.log('filler-line-' + n + ' ' + filler);
  }
  console.log('tail-marker-end');
  callback(null, 'ok');
};
