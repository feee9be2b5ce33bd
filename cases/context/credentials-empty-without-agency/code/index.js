'use strict';

exports.handler = function (event, context, callback) {
  callback(null, {
    accessKey: context.getAccessKey(),
    secretKey: context.getSecretKey(),
    securityAccessKey: context.getSecurityAccessKey(),
    securitySecretKey: context.getSecuritySecretKey(),
    securityToken: context.getSecurityToken(),
    token: context.getToken(),
  });
};
