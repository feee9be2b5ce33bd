var ranAfterTimeout = false;

exports.handler = function (event, context, callback) {
  if (event.step === 'hang') {
    // Never answers; the timer is due half a second past the timeout.
    setTimeout(function () { ranAfterTimeout = true; }, 3500);
    return;
  }
  callback(null, { ranAfterTimeout: ranAfterTimeout });
};
