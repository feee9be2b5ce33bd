'use strict';

exports.handler = function (event, context, callback) {
  var value = context.getUserData('BIG');
  callback(null, { length: value.length, allX: /^x+$/.test(value) });
};
