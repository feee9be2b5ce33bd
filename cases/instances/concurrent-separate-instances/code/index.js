var served = 0;
exports.handler = function (event, context, callback) {
  served += 1;
  // Long enough that the three calls overlap on any platform.
  setTimeout(function () { callback(null, { served: served }); }, 700);
};
