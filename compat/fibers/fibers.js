// require('fibers') and require('fibers/fibers') → verdant's Fiber. node-fibers' own main file had this name, so
// both spellings resolve. The project that installs this shim must depend on verdant itself.
'use strict';
module.exports = require('verdant/fibers');
