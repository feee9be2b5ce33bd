'use strict';

// The seed's async handler, as published (HW-NODE-ZH, "异步形式的入口函数").
exports.handler = async (event, context) => {
  const output = {
    'statusCode': 200,
    'headers': {
      'Content-Type': 'application/json'
    },
    'isBase64Encoded': false,
    'body': JSON.stringify(event),
  };
  return output;
};
