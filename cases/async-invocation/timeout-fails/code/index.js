exports.handler = function (event, context, callback) {
  // Answers twice the timeout late: only a platform that lets it run past 3 s sees success.
  setTimeout(function () { callback(null, 'answered after the timeout'); }, 6000);
};
