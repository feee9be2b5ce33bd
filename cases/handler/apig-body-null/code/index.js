'use strict';

exports.handler = function (event, context, callback) {
  const output = {
    'statusCode': 204,
    'headers': {
      'Content-Type': 'application/json'
    },
    'isBase64Encoded': false,
    'body': null
  };
  callback(null, output);
};
