'use strict';

function orNull(value) {
  return value === undefined ? null : value;
}

exports.handler = function (event, context, callback) {
  callback(null, {
    accessKey: orNull(context.getAccessKey()),
    secretKey: orNull(context.getSecretKey()),
  });
};
