'use strict';

exports.handler = function (event, context, callback) {
  console.log('part-of-the-log');
  callback(null, { answer: 42 });
};
