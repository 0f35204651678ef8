'use strict';
// Mocha reporter for CI: the normal "spec" output, plus one machine-readable line
//   passed=N failed=N pending=N
// appended to the file named by $VERDANT_MOCHA_COUNTS when the run ends. Scripts read that instead of scraping
// "N passing / N failing" from the console. If the line is missing, the run did not reach its end (a crash, a
// timeout, a failed compile): callers count that as a failure.
// With $VERDANT_MOCHA_FAILURES set, each failure also appends one line there (its full title and the first line of
// its error), so that a long CI log can end with what failed wherever it happened.
//
//   VERDANT_MOCHA_COUNTS=/tmp/c mocha --reporter scripts/mocha-counts-reporter.js ...
const fs = require('fs');
const Mocha = require('mocha');

const { EVENT_RUN_END, EVENT_TEST_FAIL } = Mocha.Runner.constants;

class CountsReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.on(EVENT_TEST_FAIL, (test, err) => {
      const out = process.env.VERDANT_MOCHA_FAILURES;
      if (!out) return;
      const first = String((err && err.message) || err).split('\n')[0];
      try {
        fs.appendFileSync(out, `${test.fullTitle()}: ${first}\n`);
      } catch {
        // A file this run cannot write (a chroot, a removed directory) loses only the summary line.
      }
    });
    runner.once(EVENT_RUN_END, () => {
      const out = process.env.VERDANT_MOCHA_COUNTS;
      if (!out) return;
      // stats.failures includes failed hooks, which abort the tests under them: those must count as failures.
      const { passes = 0, failures = 0, pending = 0 } = this.stats;
      fs.appendFileSync(out, `passed=${passes} failed=${failures} pending=${pending}\n`);
    });
  }
}

module.exports = CountsReporter;
