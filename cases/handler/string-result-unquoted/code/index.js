'use strict';

exports.handler = function (event, context, callback) {
  callback(null, 'message: hello world from FunctionGraph');
};
