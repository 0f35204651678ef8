// A debugger attached while greenlets switch. With the compact record (backend().state === 'record') V8's Debug
// state is shared by every greenlet of a thread instead of being archived with each: a step that crosses a switch
// continues in whichever greenlet runs next, as stepping over a call does. These tests drive V8's debugger through
// an in-thread inspector session (Node delivers Debugger.paused synchronously there, and the handler's next
// command decides how execution goes on) and check that stepping into, over and out of switches, breakpoints
// hit on suspended and resumed greenlets and collections while paused leave every greenlet's values intact.
import { strict as assert } from 'node:assert';
import { Session } from 'node:inspector';
import { Greenlet, backend } from '../../lib';

const main = Greenlet.getMain();

type Pause = { fn: string; line: number };

function withDebugger<T>(decide: (pause: Pause, count: number) => string, body: () => T): { result: T; pauses: Pause[] } {
  const session = new Session();
  session.connect();
  const pauses: Pause[] = [];
  session.on('Debugger.paused', (message) => {
    const frame = message.params.callFrames[0];
    const pause = { fn: frame.functionName, line: frame.location.lineNumber };
    pauses.push(pause);
    session.post(decide(pause, pauses.length));
  });
  session.post('Debugger.enable');
  try {
    return { result: body(), pauses };
  } finally {
    session.post('Debugger.disable');
    session.disconnect();
  }
}

describe('a debugger attached while greenlets switch', () => {
  // Not on the threads backend: there V8 re-prepares a pending step when it restores a greenlet's OS thread
  // (Debug::RestoreDebug → PrepareStep), on a thread where its main-thread heap is not current, and the process
  // dies with SIGSEGV in Isolate::main_thread_local_heap (Node 20). See docs/internals.md, "The threads backend".
  const stepping = backend().name === 'fcontext' ? it : it.skip;

  stepping('steps over and into switches between two greenlets and main, and every value arrives', () => {
    const { result, pauses } = withDebugger(
      (_pause, count) => (count < 60 ? (count % 3 === 0 ? 'Debugger.stepInto' : 'Debugger.stepOver') : 'Debugger.resume'),
      () => {
        const seen: number[] = [];
        const a = new Greenlet(function stepA(x: number) {
          // eslint-disable-next-line no-debugger
          debugger;
          for (let i = 0; i < 5; i++) x = main.switch(x + 1) as number;
          return x;
        });
        const b = new Greenlet(function stepB(y: number) {
          for (let i = 0; i < 5; i++) y = main.switch(y * 2) as number;
          return y;
        });
        let va = a.switch(1) as number;
        let vb = b.switch(1) as number;
        for (let i = 0; i < 5; i++) {
          seen.push(va, vb);
          va = a.switch(va) as number;
          vb = b.switch(vb) as number;
        }
        return { seen, va, vb, dead: a.dead && b.dead };
      },
    );
    assert.deepEqual(result.seen, [2, 2, 3, 4, 4, 8, 5, 16, 6, 32]);
    assert.equal(result.va, 6);
    assert.equal(result.vb, 32);
    assert.ok(result.dead);
    assert.ok(pauses.length > 10, `only ${pauses.length} pauses`);
    assert.ok(pauses.some((p) => p.fn === 'stepA'), 'never paused in stepA');
  });

  it('a breakpoint in a greenlet that is suspended and resumed many times, with full collections while paused', () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    let hits = 0;
    const { result } = withDebugger(
      () => {
        hits++;
        gc?.();
        return 'Debugger.resume';
      },
      () => {
        const workers = Array.from(
          { length: 20 },
          (_, k) =>
            new Greenlet(() => {
              const mine = { k, list: Array.from({ length: 50 }, (_v, i) => `${k}:${i}`) };
              for (let round = 0; round < 5; round++) {
                // eslint-disable-next-line no-debugger
                if (round === 2) debugger;
                main.switch(mine.list[round * 10]);
              }
              return mine.list.join(',').length;
            }),
        );
        const values: unknown[] = [];
        for (let round = 0; round < 6; round++) for (const w of workers) values.push(w.switch());
        return values;
      },
    );
    assert.equal(hits, 20);
    for (let k = 0; k < 20; k++) {
      for (let round = 0; round < 5; round++) assert.equal(result[round * 20 + k], `${k}:${round * 10}`);
      assert.equal(typeof result[5 * 20 + k], 'number');
    }
  });

  it('steps out of a greenlet that finishes, into the greenlet that runs next', () => {
    const { result, pauses } = withDebugger(
      (_pause, count) => (count < 30 ? 'Debugger.stepOut' : 'Debugger.resume'),
      () => {
        const outer = new Greenlet(() => {
          // Made here, so that outer is its parent and receives its result.
          const inner = new Greenlet(function finishes() {
            // eslint-disable-next-line no-debugger
            debugger;
            return 'inner done';
          });
          return `${inner.switch()} then outer`;
        });
        return outer.switch();
      },
    );
    assert.equal(result, 'inner done then outer');
    assert.ok(pauses.length >= 2, `${pauses.length} pauses`);
  });
});
