// require('fibers/future') → verdant's Future, through the alias module that defines Function.prototype.future on
// load as node-fibers' future.js did (VERDANT_FIBERS_FUNCTION_FUTURE=0 in the environment leaves it undefined).
'use strict';
module.exports = require('verdant/fibers/future/alias');
