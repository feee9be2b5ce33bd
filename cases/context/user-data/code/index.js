'use strict';

exports.handler = function (event, context, callback) {
  callback(null, {
    greeting: context.getUserData('GREETING'),
    farewell: context.getUserData('FAREWELL'),
  });
};
