'use strict';

exports.parse = function (text) {
  throw new SyntaxError('cannot parse ' + text);
};
