// require('fibers/future') → verdant's Future.
'use strict';
module.exports = require('verdant/fibers/future');
