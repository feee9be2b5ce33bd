'use strict';

exports.handler = function (event, context, callback) {
  console.log('before-the-throw');
  throw new Error('failing on purpose');
};
