exports.handler = function (event, context, callback) {
  var data = event && event.data;
  if (typeof data !== 'string' || data.length !== 255989 || /[^a]/.test(data)) {
    callback(new Error('the event did not arrive intact: ' + (typeof data === 'string' ? data.length + ' characters' : typeof data)));
    return;
  }
  callback(null, 'intact');
};
