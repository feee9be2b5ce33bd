'use strict';

exports.handler = async (event, context, callback) => {
  return { form: 'async (event, context, callback)', key: event.key };
};
