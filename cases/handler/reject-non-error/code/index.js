'use strict';

exports.handler = function (event, context) {
  return Promise.reject('plain rejection');
};
