// Old code that says require('fibers') / require('fibers/future'), unmodified, on verdant: npm's synchronize and
// wait.for (devDependencies) and node-fibers' Future usage, run as child processes in the two documented ways:
//  - verdant/fibers/register preloaded (`node -r verdant/fibers/register app.js`);
//  - the compat/fibers shim package installed by npm in a fresh project through "overrides", with no preload.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { check, node, REGISTER, ROOT, type Run } from './child';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'fibers');
const SYNCHRONIZE_EXAMPLES = path.join(ROOT, 'node_modules', 'synchronize', 'examples');

// `npm pack` of a package as this repository's install left it in node_modules, into `dir`: the tarball's name.
function packInstalled(name: string, dir: string): string {
  const r = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir, path.join(ROOT, 'node_modules', name)], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, npm_config_cache: path.join(dir, '.npm-cache') },
  });
  assert.equal(r.status, 0, `npm pack ${name} failed:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout)[0].filename;
}

// What each fixture prints: exact lines (in order) or, where timers race, the same set of lines.
const EXPECTED: Record<string, { lines: string[]; ordered: boolean }> = {
  'synchronize-docs.js': {
    ordered: true,
    lines: [
      'serial [1,2]',
      'parallel [1,2]',
      'defers [1,2,3]',
      'named {"a":4,"b":5,"c":6}',
      'parallel defers [1,2,3,4,5,6]',
      'timeout too slow',
      'done ok',
    ],
  },
  'waitfor-readme.js': {
    ordered: true,
    lines: [
      'after launchFiber',
      'lookup for localhost: "127.0.0.1"',
      'write: withdrawal OK, amount: 30',
      'end: your current balance is 70',
      'end: Withdrawal error: insufficient funds',
      'read true',
      'parallel.map [10,20,30]',
      'parallel.filter [1,3,5]',
      'caught ENOENT',
    ],
  },
  'waitfor-http.js': { ordered: true, lines: ['responses 5 true'] },
  'future-readme.js': {
    ordered: false,
    lines: ['Set timer for 20ms, waited at least that long', 'readdir true', 'stat true'],
  },
};

function checkFixture(name: string, out: string): void {
  const lines = out.trimEnd().split('\n');
  const { lines: expected, ordered } = EXPECTED[name];
  if (ordered) assert.deepEqual(lines, expected, name);
  else assert.deepEqual([...lines].sort(), [...expected].sort(), name);
}

// synchronize's own examples/basic.js and examples/list.js, run from node_modules as shipped.
function checkSynchronizeExamples(run: (file: string, cwd: string) => Run): void {
  const basicFile = path.join(SYNCHRONIZE_EXAMPLES, 'basic.js');
  const source = fs.readFileSync(basicFile, 'utf8');
  const basic = check(run(basicFile, SYNCHRONIZE_EXAMPLES));
  // Its source (read synchronously in the fiber), the ENOENT it catches, then its source again (plain callback).
  assert.equal(basic.split(source).length - 1, 2, basic);
  assert.match(basic, /ENOENT: no such file or directory, open 'invalid'/);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verdant-sync-list-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.txt'), 'alpha');
    fs.writeFileSync(path.join(dir, 'b.txt'), 'beta');
    fs.mkdirSync(path.join(dir, 'sub'));
    const list = check(run(path.join(SYNCHRONIZE_EXAMPLES, 'list.js'), dir));
    assert.deepEqual(list.trimEnd().split('\n').sort(), ['alpha', 'beta']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('fibers: old code on verdant, unmodified', function () {
  this.timeout(120_000);

  describe('through verdant/fibers/register (node -r)', () => {
    for (const name of Object.keys(EXPECTED)) {
      it(`runs ${name}`, () => {
        checkFixture(name, check(node(['-r', REGISTER, path.join(FIXTURES, name)], FIXTURES)));
      });
    }

    it("runs synchronize's examples/basic.js and examples/list.js from node_modules", () => {
      checkSynchronizeExamples((file, cwd) => node(['-r', REGISTER, file], cwd));
    });

    it('require resolves fibers, fibers/fibers and fibers/future to verdant, and only those', () => {
      const out = check(
        node(
          [
            '-r',
            REGISTER,
            '-e',
            `const v = require(${JSON.stringify(path.join(ROOT, 'dist', 'lib', 'fibers'))});
             const f = require(${JSON.stringify(path.join(ROOT, 'dist', 'lib', 'fibers', 'future'))});
             console.log(typeof Function.prototype.future);
             console.log(require('fibers') === v, require('fibers/fibers') === v, require('fibers/future') === f);
             try { require('fibers/other'); } catch (e) { console.log(e.code); }
             console.log(typeof Function.prototype.future);`,
          ],
          ROOT,
        ),
      );
      // verdant/fibers/future itself leaves Function.prototype alone; node-fibers' name for it does not.
      assert.equal(out, 'undefined\ntrue true true\nMODULE_NOT_FOUND\nfunction\n');
    });

    it('Function.prototype.future comes with fibers/future unless VERDANT_FIBERS_FUNCTION_FUTURE=0 or registerFibers({ functionFuture: false })', () => {
      const probe = `require('fibers/future'); console.log(typeof Function.prototype.future);`;
      const env = (value: string | undefined): NodeJS.ProcessEnv => ({ ...process.env, VERDANT_FIBERS_FUNCTION_FUTURE: value });
      const run = (code: string, value?: string) => check(node(['-r', REGISTER, '-e', code], ROOT, env(value)));
      assert.equal(run(probe), 'function\n');
      assert.equal(run(probe, '0'), 'undefined\n');
      assert.equal(run(`require(${JSON.stringify(REGISTER)}).registerFibers({ functionFuture: false }); ${probe}`), 'undefined\n');
      // The opt-in of earlier versions still defines it as soon as the register module loads.
      assert.equal(run('console.log(typeof Function.prototype.future);', '1'), 'function\n');
    });
  });

  describe('through the compat/fibers shim, installed by npm with "overrides"', () => {
    let project = '';

    before(function () {
      // A fresh project as docs/fibers.md describes it: verdant, the two packages that depend on fibers, and
      // fibers overridden to a copy of the shim. Hermetic: synchronize and wait.for are packed from this
      // repository's own node_modules (the versions its lockfile pins) and installed from those tarballs, verdant is
      // linked from this checkout, and npm runs offline, so nothing depends on what npm's cache happens to hold.
      project = fs.mkdtempSync(path.join(os.tmpdir(), 'verdant-fibers-project-'));
      fs.cpSync(path.join(ROOT, 'compat', 'fibers'), path.join(project, 'fibers-shim'), { recursive: true });
      const dependencies: Record<string, string> = { verdant: `file:${ROOT}` };
      for (const name of ['synchronize', 'wait.for']) {
        dependencies[name] = `file:./${packInstalled(name, project)}`;
      }
      fs.writeFileSync(
        path.join(project, 'package.json'),
        JSON.stringify({ name: 'old-fibers-app', private: true, dependencies, overrides: { fibers: 'file:./fibers-shim' } }),
      );
      const npm = spawnSync(
        'npm',
        ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
        { cwd: project, encoding: 'utf8', timeout: 90_000, env: { ...process.env, npm_config_cache: path.join(project, '.npm-cache') } },
      );
      assert.equal(npm.status, 0, `npm install failed:\n${npm.stdout}\n${npm.stderr}`);
      for (const name of Object.keys(EXPECTED)) fs.copyFileSync(path.join(FIXTURES, name), path.join(project, name));
    });

    after(() => {
      if (project !== '') fs.rmSync(project, { recursive: true, force: true });
    });

    it('npm put the shim in place of fibers, for the dependents too', () => {
      for (const dir of ['node_modules/fibers', 'node_modules/synchronize', 'node_modules/wait.for']) {
        assert.ok(fs.existsSync(path.join(project, dir)), dir);
      }
      assert.equal(fs.realpathSync(path.join(project, 'node_modules', 'fibers')), path.join(fs.realpathSync(project), 'fibers-shim'));
      const out = check(
        node(
          [
            '-e',
            `const v = require('verdant/fibers'), f = require('verdant/fibers/future');
             console.log(typeof Function.prototype.future);
             console.log(require('fibers') === v, require('fibers/fibers') === v, require('fibers/future') === f);
             console.log(typeof Function.prototype.future);`,
          ],
          project,
        ),
      );
      // As through the register module: node-fibers' module name defines Function.prototype.future, verdant's does not.
      assert.equal(out, 'undefined\ntrue true true\nfunction\n');
    });

    for (const name of Object.keys(EXPECTED)) {
      it(`runs ${name}`, () => {
        checkFixture(name, check(node([path.join(project, name)], project)));
      });
    }

    it("runs synchronize's examples/basic.js and examples/list.js from the project's node_modules", () => {
      checkSynchronizeExamples((file, cwd) =>
        node([path.join(project, 'node_modules', 'synchronize', 'examples', path.basename(file))], cwd),
      );
    });
  });
});
