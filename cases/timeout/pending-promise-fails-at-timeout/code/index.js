'use strict';

// The returned Promise settles only at 6 s, long after the 3 s timeout.
exports.handler = async function (event, context) {
  await new Promise(function (resolve) { setTimeout(resolve, 6000); });
  return 'too late';
};
