'use strict';

exports.handler = function (event, context, callback) {
  var x = ;
  callback(null, x);
};
