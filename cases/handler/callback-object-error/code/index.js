'use strict';

exports.handler = function (event, context, callback) {
  callback({ code: 'E42', message: 'bad' });
};
