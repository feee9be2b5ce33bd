'use strict';

const dep = require('./missing-dep');

exports.handler = function (event, context, callback) {
  callback(null, dep);
};
