'use strict';

exports.handler = function (event, context) {
  return new Promise(function (resolve) {
    setTimeout(function () {
      resolve({ settled: 'later', key: event.key });
    }, 150);
  });
};
