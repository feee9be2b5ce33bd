'use strict';

// Two lines tagged [Function], and between them one without the tag.
exports.handler = function (event, context, callback) {
  console.log('[Function]first tagged line');
  console.log('a line without the tag');
  console.log('[Function]second tagged line');
  callback(null, 'logged');
};
