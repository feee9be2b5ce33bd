'use strict';

// A tagged line, for a subscriber that did not ask for function events.
exports.handler = function (event, context, callback) {
  console.log('[Function]not for a platform subscription');
  callback(null, 'logged');
};
