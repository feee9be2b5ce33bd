'use strict';

exports.handler = function (event, context, callback) {
  var raw = process.env.RUNTIME_CPU;
  callback(null, { raw: raw === undefined ? null : raw, value: raw === undefined ? null : Number(raw) });
};
