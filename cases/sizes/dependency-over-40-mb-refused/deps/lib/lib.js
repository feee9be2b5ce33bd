'use strict';

module.exports = 'from the dependency';
