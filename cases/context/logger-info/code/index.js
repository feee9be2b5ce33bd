'use strict';

exports.handler = function (event, context, callback) {
  var logg = context.getLogger();
  logg.info('hello');
  callback(null, 'ok');
};
