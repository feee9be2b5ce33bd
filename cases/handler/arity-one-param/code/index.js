'use strict';

// The [OSS] test's oneArgsError.
exports.handler = async (event) => {

};
