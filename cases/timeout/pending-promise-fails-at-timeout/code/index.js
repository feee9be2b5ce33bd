'use strict';

// The returned Promise never settles.
exports.handler = async function (event, context) {
  await new Promise(function () {});
  return 'never';
};
