// node-fibers' own test folder (test/fixtures/node-fibers-suite, copied unmodified), run the way node-fibers' runner
// (its test.js) runs it, with `require('fibers')` served by verdant. Each file is one child process; the verdict is
// test.js's: stdout exactly "pass\n", nothing on stderr, exit status 0.
//
// test.js runs `node test/<file>` from the fibers package's root with NODE_PATH set to that root, so the files
// reach the package by its bare names: `require('fibers')`, and `require('future')` (future-exception.js; future.js
// falls back to it). Here that root is a copy of compat/fibers installed the way docs/fibers.md installs it,
// beside a link to this checkout as `verdant`:
//
//   <tmp>/node_modules/verdant -> this checkout
//   <tmp>/node_modules/fibers/{fibers.js,future.js,package.json}   the shim
//   <tmp>/node_modules/fibers/test/*.js                            the suite
//
// and every file runs twice, once per drop-in path: preloaded with verdant/fibers/register (`node -r`), and with the
// shim alone. A file that spawns Node again (child-process.js) gets the same environment and therefore the same
// resolution: its child, which has no `-r`, finds `fibers` as a plain installed package, as under node-fibers.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CHILD_TIMEOUT_MS, node, REGISTER, ROOT, type Run } from './child';

const SUITE = path.join(ROOT, 'test', 'fixtures', 'node-fibers-suite');
const FILES = fs
  .readdirSync(SUITE)
  .filter((name) => name.endsWith('.js'))
  .sort();
// A missing or emptied fixture folder must fail the run, not leave a describe block with nothing to run.
assert.ok(FILES.length > 0, `no node-fibers test files in ${SUITE}`);

/**
 * node-fibers' test.js verdict on one run: `'pass'`, or the text it prints for a failure (`<file>: *fail*` with
 * the exit code and both streams when the output is wrong, `<file>: fail (<code>)` when only the exit code is).
 */
function verdict(file: string, r: Run): string {
  if (r.out !== 'pass\n' || r.err !== '') {
    return `${file}: *fail*\ncode: ${r.status}\nstderr: ${r.err}\nstdout: ${r.out}`;
  }
  return r.status === 0 ? 'pass' : `${file}: fail (${r.status})`;
}

/**
 * Lays out the fibers package root described above in a new temporary directory and returns the root
 * (`<tmp>/node_modules/fibers`); the caller removes `<tmp>` (two levels up).
 */
function installSuite(): string {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'verdant-node-fibers-suite-'));
  const modules = path.join(project, 'node_modules');
  const fibersRoot = path.join(modules, 'fibers');
  fs.mkdirSync(modules);
  // A link rather than `npm install file:`: verdant's own package.json resolves `verdant/fibers` through its
  // exports, exactly as an installed copy would, without an npm run per test file set.
  fs.symlinkSync(ROOT, path.join(modules, 'verdant'), 'dir');
  fs.cpSync(path.join(ROOT, 'compat', 'fibers'), fibersRoot, { recursive: true });
  fs.mkdirSync(path.join(fibersRoot, 'test'));
  for (const file of FILES) fs.copyFileSync(path.join(SUITE, file), path.join(fibersRoot, 'test', file));
  return fibersRoot;
}

/** The environment test.js gives each file: ours, plus NODE_PATH at the fibers package root. */
function suiteEnv(fibersRoot: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_PATH: fibersRoot };
  // future.js calls `function () {...}.future()` as node-fibers allowed by default; a developer's opt-out in the
  // surrounding environment must not turn that into a failure here.
  delete env.VERDANT_FIBERS_FUNCTION_FUTURE;
  return env;
}

describe("fibers: node-fibers' own test suite, unmodified", function () {
  // Room for one child run to the end of its own timeout (cleanup.js takes seconds on the threads backend), without
  // cutting short a longer timeout the command line gave (the sanitizer run's).
  this.timeout(Math.max(this.timeout(), CHILD_TIMEOUT_MS + 10_000));

  let fibersRoot = '';
  before(() => {
    fibersRoot = installSuite();
  });
  after(() => {
    if (fibersRoot !== '') fs.rmSync(path.dirname(path.dirname(fibersRoot)), { recursive: true, force: true });
  });

  const ways: Array<{ title: string; preload: string[] }> = [
    { title: 'through verdant/fibers/register (node -r)', preload: ['-r', REGISTER] },
    { title: 'through the compat/fibers shim alone', preload: [] },
  ];
  for (const { title, preload } of ways) {
    describe(title, () => {
      for (const file of FILES) {
        it(file, () => {
          const r = node([...preload, path.join('test', file)], fibersRoot, suiteEnv(fibersRoot));
          assert.equal(verdict(file, r), 'pass');
        });
      }
    });
  }
});
