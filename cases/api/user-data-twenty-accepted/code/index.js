'use strict';

exports.handler = function (event, context, callback) {
  var values = [];
  for (var i = 1; i <= 20; i++) {
    values.push(context.getUserData('K' + (i < 10 ? '0' : '') + i));
  }
  callback(null, { values: values });
};
