'use strict';

exports.handler = function (event, context) {
  return 'two parameters';
};
