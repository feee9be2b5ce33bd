'use strict';

exports.handler = function (event, context, callback) {
  var env = process.env.RUNTIME_PROJECT_ID;
  callback(null, { projectID: context.getProjectID(), env: env === undefined ? null : env });
};
