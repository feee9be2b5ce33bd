'use strict';

exports.handler = function (event, context, callback) {
  callback(null, { length: event.data.length });
};
