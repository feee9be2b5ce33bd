'use strict';

// Named by initializer_handler, but the runtime only loads the handler's file.
global.otherLoaded = true;

exports.initializer = function (context, callback) {
  global.initializedBy = 'other.js';
  callback(null, '');
};
