'use strict';

exports.handler = function (event, context, callback) {
  process.stdout.write('stdout-write-marker\n');
  callback(null, 'ok');
};
