'use strict';

exports.handler = function (event, context, callback) {
  callback(null, [1, 'two', null, { a: true }]);
};
