'use strict';

exports.handler = function (event, context, callback) {
  console.log('[Function]inside the call');
  callback(null, 'logged');
};
