'use strict';

exports.main = function (event, context, callback) {
  callback(null, 'main of app.js');
};

exports.handler = function (event, context, callback) {
  callback(null, 'handler of app.js');
};
