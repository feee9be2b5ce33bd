'use strict';

exports.handler = async (event, context) => {
  throw new Error('boom');
};
