'use strict';

exports.handler = function (event, context, callback) {
  var logger = context.getLogger();
  logger.setLevel('DEBUG');
  logger.debug('detail');
  callback(null, 'ok');
};
