'use strict';

exports.handler = function (event, context, callback) {
  callback(null, new Array(6291657).join('r'));
};
