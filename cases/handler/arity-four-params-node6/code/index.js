'use strict';

exports.handler = function (event, context, callback, errorArg) {
  callback(null, 'four parameters');
};
