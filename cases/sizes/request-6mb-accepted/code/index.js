'use strict';

exports.handler = function (event, context, callback) {
  var data = event.data;
  callback(null, { length: data.length, onlyA: /^a*$/.test(data) });
};
