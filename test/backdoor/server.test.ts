// backdoor.serve: real TCP clients typing JavaScript into the live process and reading the answers.
import { strict as assert } from 'node:assert';
import { ConnectionRefusedError, Event, GreenSocket, connect, sleep, spawn } from 'verdant';
import { BackdoorBindError, type BackdoorServer, isLoopback, serve } from '../../lib/backdoor';
import { withBackdoor } from './helpers';

const PROMPT = '>>> ';

/** A client of a backdoor: sends lines, reads what comes back up to the next prompt. */
class Client {
  readonly sock: GreenSocket;
  #buffered = '';

  constructor(server: BackdoorServer) {
    const address = server.address;
    assert.ok('port' in address);
    this.sock = connect([address.address, address.port], { timeout: 10 });
    this.sock.setTimeout(30);
  }

  /** Everything up to (not including) the next `marker`. */
  readUntil(marker: string): string {
    for (;;) {
      const at = this.#buffered.indexOf(marker);
      if (at >= 0) {
        const text = this.#buffered.slice(0, at);
        this.#buffered = this.#buffered.slice(at + marker.length);
        return text;
      }
      const chunk = this.sock.recv(65536).toString('utf8');
      if (chunk === '') throw new Error(`connection closed before ${JSON.stringify(marker)}; got ${JSON.stringify(this.#buffered)}`);
      this.#buffered += chunk;
    }
  }

  /** Everything until the server closes the connection. */
  readToEnd(): string {
    for (;;) {
      const chunk = this.sock.recv(65536).toString('utf8');
      if (chunk === '') return this.#buffered;
      this.#buffered += chunk;
    }
  }

  send(line: string): void {
    this.sock.sendAll(`${line}\n`);
  }

  /** Types `line` and returns the answer printed before the next prompt. */
  eval(line: string): string {
    this.send(line);
    return this.readUntil(PROMPT);
  }

  close(): void {
    this.sock.close();
  }
}


/** A connected client past the banner and the first prompt. */
function login(server: BackdoorServer, token?: string): Client {
  const client = new Client(server);
  if (token !== undefined) client.send(token);
  client.readUntil(PROMPT);
  return client;
}

describe('backdoor: serve', () => {
  it('evaluates expressions, shows results with util.inspect, and has the locals in scope', () =>
    spawn(() => {
      const answer = { n: 42 };
      withBackdoor({ locals: { answer, list: [1, 2, 3] }, banner: 'hello from the test' }, (server) => {
        const client = new Client(server);
        assert.equal(client.readUntil(PROMPT), 'hello from the test\n');
        assert.equal(client.eval('1 + 2'), '3\n');
        assert.equal(client.eval('answer.n'), '42\n');
        assert.equal(client.eval('list.map((x) => x * 10)'), '[ 10, 20, 30 ]\n');
        assert.equal(client.eval("{ a: 1, b: 'two' }"), "{ a: 1, b: 'two' }\n");
        assert.equal(client.eval('var kept = 5'), ''); // undefined prints nothing
        assert.equal(client.eval('kept * 2'), '10\n');
        assert.equal(client.eval('_ + 1'), '11\n'); // the last result
        assert.equal(client.eval("print('printed', 7)"), 'printed 7\n');
        answer.n = 43; // the locals are the live objects
        assert.equal(client.eval('answer.n'), '43\n');
        client.close();
      });
    }));

  it('continues an incomplete input on the next lines', () =>
    spawn(() =>
      withBackdoor({ locals: {} }, (server) => {
        const client = login(server);
        client.send('function twice(x) {');
        assert.equal(client.readUntil('... '), '');
        client.send('  return x * 2;');
        assert.equal(client.readUntil('... '), '');
        assert.equal(client.eval('}'), '');
        assert.equal(client.eval('twice(21)'), '42\n');
        client.send('[1,');
        client.readUntil('... ');
        client.send('.break'); // drops the unfinished input
        assert.equal(client.readUntil(PROMPT), '');
        client.send('`a template');
        client.readUntil('... ');
        assert.equal(client.eval('over two lines`'), "'a template\\nover two lines'\n");
        client.close();
      }),
    ));

  it('prints an exception and keeps the connection and the process going', () =>
    spawn(() =>
      withBackdoor({ locals: {} }, (server) => {
        const client = login(server);
        assert.match(client.eval("throw new RangeError('boom')"), /^Uncaught RangeError: boom\n/);
        assert.equal(client.eval('1 2'), 'Uncaught SyntaxError: Unexpected number\n');
        const stack = client.eval('(function thrower() { throw new TypeError("deep") })()');
        assert.match(stack, /^Uncaught TypeError: deep\n {4}at thrower \(backdoor#\d+:\d+:\d+\)/);
        assert.doesNotMatch(stack, /node:vm|lib\/backdoor|greenthread/); // the REPL's own frames are cut
        assert.equal(client.eval('throw null'), 'Uncaught null\n');
        const hostile = "({ [Symbol.for('nodejs.util.inspect.custom')]() { throw new Error('no looking') } })";
        assert.equal(client.eval(hostile), '[value that cannot be inspected: no looking]\n');
        assert.equal(client.eval("'still here'"), "'still here'\n");
        client.close();
      }),
    ));

  it('runs code that blocks in the connection\'s green thread, while other clients go on', () =>
    spawn(() => {
      const gate = new Event<string>();
      withBackdoor({ locals: { gate, sleep } }, (server) => {
        const waiter = login(server);
        waiter.send('sleep(0.05); gate.wait()'); // blocks that session only
        const opener = login(server);
        assert.equal(opener.eval("gate.send('open'); 'sent'"), "'sent'\n");
        assert.equal(waiter.readUntil(PROMPT), "'open'\n");
        waiter.close();
        opener.close();
      });
    }));

  it('offers dumpGreenThreads, which lists the session itself', () =>
    spawn(() =>
      withBackdoor({ locals: {} }, (server) => {
        const client = login(server);
        assert.equal(client.eval("dumpGreenThreads().some((t) => t.state === 'running' && t.name.startsWith('backdoor session'))"), 'true\n');
        assert.equal(client.eval("dumpGreenThreads().some((t) => t.name.startsWith('backdoor on'))"), 'true\n');
        client.close();
      }),
    ));

  it('asks for the token first and closes the connection on a wrong one, having sent nothing else', () =>
    spawn(() =>
      withBackdoor({ locals: { secret: 'inside' }, token: 's3cret' }, (server) => {
        const wrong = new Client(server);
        wrong.send('guess');
        assert.equal(wrong.readToEnd(), 'backdoor: wrong token\n');
        wrong.close();

        const right = login(server, 's3cret');
        assert.equal(right.eval('secret'), "'inside'\n");
        right.close();
      }),
    ));

  it('disconnects a client that does not send its token in time', () =>
    spawn(() =>
      withBackdoor({ locals: {}, token: 't', authTimeout: 0.1 }, (server) => {
        const silent = new Client(server);
        assert.equal(silent.readToEnd(), '');
        silent.close();
      }),
    ));

  it('ends a session on .exit and on end of input', () =>
    spawn(() =>
      withBackdoor({ locals: {} }, (server) => {
        const a = login(server);
        const b = login(server);
        assert.equal(server.connections, 2);
        a.send('.exit');
        assert.equal(a.readToEnd(), '');
        b.sock.shutdown('write');
        assert.equal(b.readToEnd(), '');
        for (let i = 0; i < 500 && server.connections > 0; i++) sleep(0.01);
        assert.equal(server.connections, 0);
        a.close();
        b.close();
      }),
    ));

  it('close() stops listening and ends sessions, even one blocked in typed code', () =>
    spawn(() => {
      const server = serve(0, { locals: { never: new Event() } });
      const address = server.address;
      assert.ok('port' in address);
      assert.equal(address.address, '127.0.0.1'); // a port alone is loopback only
      const client = login(server);
      client.send('never.wait()');
      sleep(0.05);
      server.close();
      server.close(); // idempotent
      assert.equal(server.closed, true);
      assert.equal(client.readToEnd(), '');
      client.close();
      assert.throws(() => connect(['127.0.0.1', address.port], { timeout: 10 }), ConnectionRefusedError);
    }));

  it('refuses a non-loopback address unless allowRemote is set', () =>
    spawn(() => {
      for (const address of [['0.0.0.0', 0], ['::', 0], '192.0.2.1:0', ['example.com', 0]] as const) {
        assert.throws(() => serve(address as never, { locals: {} }), (error: unknown) => {
          assert.ok(error instanceof BackdoorBindError);
          assert.match(error.message, /not a loopback address.*allowRemote: true/s);
          return true;
        });
      }
      const open = serve(['0.0.0.0', 0], { locals: {}, allowRemote: true });
      try {
        assert.ok('address' in open.address && open.address.address === '0.0.0.0');
      } finally {
        open.close();
      }
      const local = serve('localhost:0');
      try {
        assert.ok('address' in local.address && local.address.address === '127.0.0.1');
      } finally {
        local.close();
      }
    }));

  it('checks its options', () => {
    assert.throws(() => serve(0, { token: '' }), TypeError);
    assert.throws(() => serve(0, { token: 'a\nb' }), TypeError);
    assert.throws(() => serve(0, { locals: null as never }), TypeError);
    assert.throws(() => serve(0, { allowRemote: 'yes' as never }), TypeError);
    assert.throws(() => serve(0, { authTimeout: -1 }), RangeError);
    assert.throws(() => serve(0, { banner: 5 as never }), TypeError);
  });

  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) assert.equal(isLoopback(host), true, host);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '::2', 'localhost', '1::1', '128.0.0.1']) assert.equal(isLoopback(host), false, host);
  });
});
