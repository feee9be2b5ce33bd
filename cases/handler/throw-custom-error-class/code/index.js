'use strict';

class ValidationError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ValidationError';
  }
}

exports.handler = function (event, context, callback) {
  throw new ValidationError('field "id" is required');
};
