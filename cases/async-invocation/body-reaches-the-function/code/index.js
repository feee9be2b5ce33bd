exports.handler = function (event, context, callback) {
  var wrapped = event && event.body && event.body.k === 'v';
  var unwrapped = event && event.k === 'v';
  if (wrapped || unwrapped) {
    callback(null, 'the body arrived');
    return;
  }
  callback(new Error('the event is not the request body: ' + JSON.stringify(event)));
};
