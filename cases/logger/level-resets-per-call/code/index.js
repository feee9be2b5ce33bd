'use strict';

var calls = 0;

exports.handler = function (event, context, callback) {
  calls++;
  var logger = context.getLogger();
  if (calls === 1) {
    logger.setLevel('ERROR');
  }
  logger.info('info-of-call-' + calls);
  callback(null, { calls: calls });
};
