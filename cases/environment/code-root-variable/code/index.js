'use strict';

var fs = require('fs');
var path = require('path');

exports.handler = function (event, context, callback) {
  var root = process.env.RUNTIME_CODE_ROOT;
  if (root === undefined) {
    callback(null, { root: null });
    return;
  }
  callback(null, {
    handlerDirIsRoot: fs.realpathSync(path.resolve(root)) === fs.realpathSync(__dirname),
    packagedFile: fs.readFileSync(path.join(root, 'lib', 'data.txt'), 'utf8').trim(),
  });
};
