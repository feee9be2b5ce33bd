'use strict';

function failByThrow() {
  throw new Error('thrown-and-logged');
}

function failByCallback(callback) {
  callback(new Error('passed-and-logged'));
}

exports.handler = function (event, context, callback) {
  if (event.mode === 'throw') failByThrow();
  failByCallback(callback);
};
