'use strict';

var state = 'not initialized';

// Declares (context, callback) as required, but signals completion only through its Promise.
exports.initializer = function (context, callback) {
  return new Promise(function (resolve) {
    setTimeout(function () {
      state = 'initialized by promise';
      resolve('ignored');
    }, 200);
  });
};

exports.handler = function (event, context, callback) {
  callback(null, { state: state });
};
