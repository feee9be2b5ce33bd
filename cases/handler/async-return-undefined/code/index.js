'use strict';

exports.handler = async (event, context) => {
  context.getRequestID();
};
