'use strict';

// {"data":"…"} with 6,400,001 characters of data: 6,400,012 bytes of JSON text.
exports.handler = function (event, context, callback) {
  callback(null, { data: new Array(6400002).join('o') });
};
