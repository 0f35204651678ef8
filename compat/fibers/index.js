// require('fibers') → verdant's Fiber. The project that installs this shim must depend on verdant itself.
'use strict';
module.exports = require('verdant/fibers');
