'use strict';

exports.handler = function (event, context, callback) {
  callback('plain failure text');
};
