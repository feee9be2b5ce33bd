'use strict';

exports.handler = function (...args) {
  args[2](null, 'rest parameters');
};
