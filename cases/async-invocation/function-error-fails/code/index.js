exports.handler = function (event, context, callback) {
  callback(new Error('the handler failed on purpose'));
};
