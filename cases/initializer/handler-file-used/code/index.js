'use strict';

exports.initializer = function (context, callback) {
  global.initializedBy = 'index.js';
  callback(null, '');
};

exports.handler = function (event, context, callback) {
  callback(null, { initializedBy: global.initializedBy || null, otherLoaded: global.otherLoaded === true });
};
