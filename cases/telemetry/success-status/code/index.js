'use strict';

// An initializer, so that the init events are expected under either reading of the page's
// "initialization phase": the instance's start-up, or the initializer's run.
exports.initializer = function (context, callback) {
  callback(null, '');
};

exports.handler = function (event, context, callback) {
  callback(null, 'ok');
};
