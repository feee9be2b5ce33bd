'use strict';

exports.handler = function (event, context, callback) {
  context.getLogger().setLevel('DEBUG');
  context.getLogger().debug('debug-through-second-getLogger');
  callback(null, { same: context.getLogger() === context.getLogger() });
};
