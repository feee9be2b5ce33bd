var ranAfterTimeout = false;

exports.handler = function (event, context, callback) {
  if (event.step === 'hang') {
    // The timer is due half a second past the 3 s timeout, the answer long after it.
    setTimeout(function () { ranAfterTimeout = true; }, 3500);
    setTimeout(function () { callback(null, 'answered after the timeout'); }, 6000);
    return;
  }
  callback(null, { ranAfterTimeout: ranAfterTimeout });
};
