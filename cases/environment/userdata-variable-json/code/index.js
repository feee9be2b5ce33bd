'use strict';

exports.handler = function (event, context, callback) {
  var text = process.env.RUNTIME_USERDATA;
  var parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    parsed = { unparsable: String(text) };
  }
  callback(null, { userData: parsed });
};
