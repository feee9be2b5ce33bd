'use strict';

// The seed's synchronous handler, as published (HW-NODE-ZH, "同步形式入口函数").
exports.handler = function (event, context, callback) {
  const error = null;
  const output = {
    'statusCode': 200,
    'headers': {
      'Content-Type': 'application/json'
    },
    'isBase64Encoded': false,
    'body': JSON.stringify(event),
  };
  callback(error, output);
};
