'use strict';

const helper = require('./lib/helper');

exports.handler = function (event, context, callback) {
  callback(null, helper.parse('x'));
};
