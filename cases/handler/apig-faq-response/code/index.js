'use strict';

// Huawei's FAQ example "APIG trigger returns a string: error 500", as published.
exports.handler = function (event, context, callback) {
  const response = {
    'statusCode': 200,
    'isBase64Encoded': false,
    'headers': {
      "Content-type": "application/json"
    },
    'body': 'Hello, FunctionGraph with APIG',
  }
  callback(null, response);
}
