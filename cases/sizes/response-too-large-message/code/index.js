'use strict';

exports.handler = function (event, context, callback) {
  callback(null, new Array(7000001).join('z'));
};
