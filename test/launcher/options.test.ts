// The command line of `verdant serve`: defaults, both flag forms, and a UsageError naming the problem for each
// kind of mistake (the CLI turns it into exit code 2; test/launcher/serve.test.ts checks that end to end).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseServeArgs, UsageError, type ServeConfig } from '../../lib/launcher';
import { scratchDir } from './support';

describe('launcher options', () => {
  it('a worker started by hand, not by verdant serve, fails with a UsageError naming what is missing', () => {
    const worker = path.join(__dirname, '../../lib/launcher/worker-main.js');
    const env = { ...process.env };
    delete env.VERDANT_LAUNCHER_WORKER;
    const result = spawnSync(process.execPath, [worker], { env, encoding: 'utf8', timeout: 30_000 });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /UsageError: verdant serve worker: started without \w+; run it through verdant serve/);
  });

  let dir: string;
  let app: string;
  before(() => {
    dir = scratchDir();
    app = path.join(dir, 'app.js');
    fs.writeFileSync(app, 'module.exports = () => new Response("x");\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const config = (argv: string[]): ServeConfig => {
    const parsed = parseServeArgs(argv, dir);
    assert.equal(parsed.help, false);
    return (parsed as { config: ServeConfig }).config;
  };
  const usage = (argv: string[], message: RegExp) =>
    assert.throws(() => parseServeArgs(argv, dir), (error: unknown) => error instanceof UsageError && error.exitCode === 2 && message.test(error.message));

  it('fills in defaults and makes paths absolute', () => {
    const c = config(['app.js']);
    assert.equal(c.app, app);
    assert.equal(c.port, 8080);
    assert.equal(c.host, '0.0.0.0');
    assert.ok(c.processes >= 1);
    assert.equal(c.concurrency, 1000);
    assert.equal(c.gracefulTimeout, 30);
    assert.deepEqual(
      [c.threads, c.accessLog, c.pidFile, c.statusListen, c.statusPath, c.maxRequests, c.maxAge, c.maxMemory, c.reload, c.tls],
      [null, null, null, null, '/status', null, null, null, false, null],
    );
  });

  it('takes --flag value and --flag=value, before or after the app', () => {
    const c = config(['--port=0', 'app.js', '--processes', '3', '--max-age', '1.5', '--max-memory=256', '--access-log', 'logs/a.log',
      '--pid-file', 'p.pid', '--status-listen', '9100', '--status-path', '/_s', '--reload', '--graceful-timeout=0', '--tls-cert', 'app.js', '--tls-key', 'app.js']);
    assert.equal(c.port, 0);
    assert.equal(c.processes, 3);
    assert.equal(c.maxAge, 1.5);
    assert.equal(c.maxMemory, 256);
    assert.equal(c.accessLog, path.join(dir, 'logs', 'a.log'));
    assert.equal(c.pidFile, path.join(dir, 'p.pid'));
    assert.equal(c.statusPath, '/_s');
    assert.deepEqual(c.statusListen, { host: '127.0.0.1', port: 9100 }, 'loopback unless a host is given');
    assert.deepEqual(config(['app.js', '--status-listen', '0.0.0.0:9100']).statusListen, { host: '0.0.0.0', port: 9100 });
    assert.deepEqual(config(['app.js', '--status-listen', '[::1]:0']).statusListen, { host: '::1', port: 0 });
    assert.equal(c.reload, true);
    assert.equal(c.gracefulTimeout, 0);
    assert.deepEqual(c.tls, { cert: app, key: app });
    assert.equal(config(['app.js', '--access-log', '-']).accessLog, '-');
    assert.deepEqual(parseServeArgs(['app.js', '-h'], dir), { help: true });
  });

  it('names the problem: unknown flags, bad numbers, missing values and files', () => {
    usage(['app.js', '--workers', '2'], /^unknown flag --workers$/);
    usage(['app.js', '-p', '2'], /^unknown flag -p$/);
    usage(['app.js', '--port', 'http'], /^--port takes an integer, not "http"$/);
    usage(['app.js', '--port', ''], /^--port takes an integer, not ""$/);
    usage(['app.js', '--processes', '0'], /^--processes takes an integer >= 1 and <= 1024, not 0$/);
    usage(['app.js', '--processes', '2.5'], /^--processes takes an integer, not "2.5"$/);
    usage(['app.js', '--max-age', '0'], /^--max-age takes a number > 0, not 0$/);
    usage(['app.js', '--max-memory', '-1'], /^--max-memory takes a number > 0, not -1$/);
    usage(['app.js', '--graceful-timeout', 'soon'], /^--graceful-timeout takes a number, not "soon"$/);
    usage(['app.js', '--concurrency'], /^--concurrency needs a value$/);
    usage(['app.js', '--reload=yes'], /^--reload takes no value$/);
    usage(['app.js', '--port', '1', '--port', '2'], /^--port is given twice$/);
    usage([], /^missing the app file/);
    usage(['app.js', 'other.js'], /^one app file only; also got "other.js"$/);
    usage(['nope.js'], /^no such app file: nope\.js$/);
    usage(['.'], /^the app must be a file: \.$/);
    usage(['app.js', '--tls-key', 'app.js'], /^--tls-key needs --tls-cert$/);
    usage(['app.js', '--tls-cert', 'missing.pem'], /^--tls-cert: no such file: missing\.pem$/);
    usage(['app.js', '--status-listen', '1', '--status-path', 'status'], /^--status-path must start with \/, not "status"$/);
    usage(['app.js', '--status-path', '/status'], /^--status-path needs --status-listen: the status is served on a socket of its own, not on the app's$/);
    usage(['app.js', '--status-listen', 'localhost'], /^--status-listen is PORT or HOST:PORT \(e\.g\. 9100 or 127\.0\.0\.1:9100\), not "localhost"$/);
    usage(['app.js', '--status-listen', '70000'], /^--status-listen is PORT or HOST:PORT/);
  });
});
