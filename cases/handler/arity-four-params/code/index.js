'use strict';

// The [OSS] test's fourArgsError.
exports.handler = async (event, context, callback, errorArg) => {

};
