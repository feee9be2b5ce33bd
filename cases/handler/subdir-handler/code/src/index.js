'use strict';

// The community guide's "sync handler" sample for src/index.js (project.rst), without its
// logger line. No index.js exists at the package root.
exports.handler = function (event, context, callback) {
  const error = null;
  const output = {
    statusCode: 200,
    headers: {
      'Content-Type': 'application/json'
    },
    isBase64Encoded: false,
    body: JSON.stringify(event)
  };
  callback(error, output);
};
