'use strict';

// 'BEGIN-' + 6,291,246 'a' + '-END' = 6,291,256 bytes.
exports.handler = function (event, context, callback) {
  callback(null, 'BEGIN-' + new Array(6291247).join('a') + '-END');
};
