'use strict';

exports.main = function (event, context, callback) {
  callback(null, 'main of index.js');
};

exports.handler = function (event, context, callback) {
  callback(null, 'handler of index.js');
};
