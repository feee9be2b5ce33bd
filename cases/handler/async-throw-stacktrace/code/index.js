'use strict';

exports.handler = async (event, context) => {
  throw new RangeError('out of range');
};
