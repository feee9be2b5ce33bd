'use strict';

exports.handler = function (event, context, callback) {
  throw new Error('telemetry of a failed call');
};
