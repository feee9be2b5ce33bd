'use strict';

exports.handler = function (event, context, callback) {
  return 'returned-not-called-back';
};
