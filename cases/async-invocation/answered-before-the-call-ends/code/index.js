exports.handler = function (event, context, callback) {
  // Long enough that an answer given only when the call ends cannot come before the listing.
  setTimeout(function () { callback(null, 'done after 10 s'); }, 10000);
};
