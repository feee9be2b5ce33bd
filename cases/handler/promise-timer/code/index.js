'use strict';

// The seed's Promise example, as published (HW-NODE-ZH): the asynchronous task must run within
// the current invocation, so the handler returns the Promise.
exports.handler = async (event, context) => {
  const output = {
    'statusCode': 200,
    'headers': {
      'Content-Type': 'application/json'
    },
    'isBase64Encoded': false,
    'body': JSON.stringify(event),
  };
  const promise = new Promise((resolve, reject) => {
    setTimeout(() => {
      resolve(output);
    }, 2000);
  });
  return promise;
};
