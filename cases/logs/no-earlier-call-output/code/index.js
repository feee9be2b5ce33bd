'use strict';

exports.handler = function (event, context, callback) {
  console.log(event.say);
  callback(null, event.say);
};
