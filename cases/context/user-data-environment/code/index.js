'use strict';

exports.handler = function (event, context, callback) {
  callback(null, {
    env: process.env.DB_HOST === undefined ? null : process.env.DB_HOST,
    userData: context.getUserData('DB_HOST'),
  });
};
