exports.handler = function (event, context, callback) {
  if (event.fail) {
    callback(new Error('this call fails on purpose'));
    return;
  }
  callback(null, 'ok');
};
