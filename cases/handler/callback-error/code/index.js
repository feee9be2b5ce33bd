'use strict';

exports.handler = function (event, context, callback) {
  callback(new Error('boom'), 'the second argument');
};
