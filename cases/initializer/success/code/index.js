'use strict';

var state = 'not initialized';

// Completes 200 ms after it is called: the handler must wait for the callback, not the return.
exports.initializer = function (context, callback) {
  setTimeout(function () {
    state = 'initialized';
    callback(null, '');
  }, 200);
};

exports.handler = function (event, context, callback) {
  callback(null, { state: state });
};
