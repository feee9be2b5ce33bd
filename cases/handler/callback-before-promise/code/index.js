'use strict';

exports.handler = async (event, context, callback) => {
  callback(null, 'from-callback');
  return 'from-return';
};
