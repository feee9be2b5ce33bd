'use strict';

exports.handler = function (event, context, callback) {
  var missing = context.getUserData('NOT_CONFIGURED');
  callback(null, { type: typeof missing, present: context.getUserData('PRESENT') });
};
