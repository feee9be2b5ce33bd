'use strict';

// The [OSS] test's resultInvalid.js structure, returned through callback.
const obj1 = {
  name: 'obj1'
};
const obj2 = {
  name: 'obj2'
};
obj1.val = obj2;
obj2.val = obj1;

exports.handler = function (event, context, callback) {
  callback(null, obj1);
};
