// Async scopes a greenlet entered itself (AsyncResource.runInAsyncScope, EventEmitterAsyncResource handlers) are
// carried across its switches: the entries it pushed on Node's async-hooks stack leave with it and come back when
// it resumes (lib/runtime/async-stack.ts). Cases that could abort Node if the mechanism were wrong run in a child.
import { strict as assert } from 'node:assert';
import {
  AsyncResource,
  executionAsyncId,
  executionAsyncResource,
  triggerAsyncId,
} from 'node:async_hooks';
import { spawnSync } from 'node:child_process';
import { EventEmitterAsyncResource } from 'node:events';
import { resolve } from 'node:path';
import { Greenlet, kill, sleep, spawn } from 'verdant';
import { asyncStackSupport } from '../../lib/runtime/async-stack';
import { patience } from '../support/patience';

const main = Greenlet.getMain();
const VERDANT_ENTRY = resolve(__dirname, '..', '..', 'lib', 'index.js');

interface Where {
  id: number;
  trigger: number;
  resource: object;
}
const where = (): Where => ({ id: executionAsyncId(), trigger: triggerAsyncId(), resource: executionAsyncResource() });

function runChild(source: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ['-e', `const VERDANT = ${JSON.stringify(VERDANT_ENTRY)};\n${source}`], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: patience(60_000),
  });
  return { status: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

describe('async scopes carried across greenlet switches', () => {
  it('is on for this Node (found and validated at load)', () => {
    assert.deepEqual(asyncStackSupport(), { saved: true });
  });

  it('the resumer never sees the greenlet scope; the greenlet sees its scope, trigger and resource again', () => {
    const resource = new AsyncResource('carried');
    const seen: boolean[] = [];
    const g = new Greenlet(() =>
      resource.runInAsyncScope(() => {
        const inside = where();
        assert.equal(inside.resource, resource);
        for (let i = 0; i < 3; i++) {
          main.switch(i);
          seen.push(JSON.stringify(where()) === JSON.stringify(inside) && executionAsyncResource() === resource);
        }
        return 'left';
      }),
    );
    const outside = where();
    for (let i = 0; i < 3; i++) {
      assert.equal(g.switch(), i);
      assert.deepEqual(where(), outside);
    }
    assert.equal(g.switch(), 'left');
    assert.deepEqual(seen, [true, true, true]);
    assert.deepEqual(where(), outside);
    resource.emitDestroy();
  });

  it('nested scopes in two greenlets interleave without seeing each other', () => {
    const make = (tag: string) => {
      const resources = [1, 2, 3].map((n) => new AsyncResource(`${tag}${n}`));
      const names = new Map<unknown, string>(resources.map((r, n) => [r, `${tag}${n + 1}`]));
      const g = new Greenlet(() => {
        const log: string[] = [];
        const enter = (level: number): void => {
          if (level === resources.length) {
            for (let i = 0; i < 4; i++) {
              main.switch();
              log.push(names.get(executionAsyncResource()) ?? 'other');
            }
            return;
          }
          const here = executionAsyncResource();
          resources[level].runInAsyncScope(() => enter(level + 1));
          // Back out of the deeper scope, in whatever resumed this greenlet last: the same resource as before.
          if (level > 0) assert.equal(executionAsyncResource(), here);
        };
        enter(0);
        return log;
      });
      return { g, resources };
    };
    const a = make('a');
    const b = make('b');
    const outside = where();
    a.g.switch();
    b.g.switch();
    for (let i = 0; i < 3; i++) {
      a.g.switch();
      assert.deepEqual(where(), outside);
      b.g.switch();
      assert.deepEqual(where(), outside);
    }
    assert.deepEqual(a.g.switch(), ['a3', 'a3', 'a3', 'a3']);
    assert.deepEqual(b.g.switch(), ['b3', 'b3', 'b3', 'b3']);
    for (const r of [...a.resources, ...b.resources]) r.emitDestroy();
  });

  it("a greenlet resumed inside the resumer's own scope finds its scope on top of the resumer's", () => {
    const mine = new AsyncResource('mine');
    const theirs = new AsyncResource('theirs');
    const g = new Greenlet(() =>
      mine.runInAsyncScope(() => {
        main.switch();
        const top = executionAsyncResource();
        const trigger = triggerAsyncId();
        main.switch();
        return [top === mine, trigger === mine.triggerAsyncId()];
      }),
    );
    g.switch();
    theirs.runInAsyncScope(() => {
      g.switch();
      // The greenlet took its scope away again: the resumer is in its own.
      assert.equal(executionAsyncResource(), theirs);
    });
    assert.deepEqual(g.switch(), [true, true]);
    mine.emitDestroy();
    theirs.emitDestroy();
  });

  it('green threads parked in the hub inside their own scopes resume in them', () =>
    spawn(() => {
      const threads = Array.from({ length: 20 }, (_, i) =>
        spawn(() => {
          const r = new AsyncResource(`thread${i}`);
          try {
            return r.runInAsyncScope(() => {
              let ok = 0;
              for (let k = 0; k < 5; k++) {
                sleep(((i + k) % 3) * 0.001);
                if (executionAsyncResource() === r && executionAsyncId() === r.asyncId()) ok++;
              }
              return ok;
            });
          } finally {
            r.emitDestroy();
          }
        }),
      );
      assert.deepEqual(
        threads.map((t) => t.wait()),
        new Array(20).fill(5),
      );
    }));

  it('an EventEmitterAsyncResource handler may block: it runs in the emitter scope before and after', () =>
    spawn(() => {
      const emitter = new EventEmitterAsyncResource({ name: 'blocking-emitter' });
      const log: boolean[] = [];
      emitter.on('go', () => {
        log.push(executionAsyncId() === emitter.asyncId);
        sleep(0.002);
        log.push(executionAsyncId() === emitter.asyncId);
      });
      const before = executionAsyncId();
      emitter.emit('go');
      assert.equal(executionAsyncId(), before);
      assert.deepEqual(log, [true, true]);
      emitter.emitDestroy();
    }));

  it('killing a green thread suspended inside its scopes unwinds them in order', () =>
    spawn(() => {
      const outer = new AsyncResource('outer');
      const inner = new AsyncResource('inner');
      const unwound: string[] = [];
      const t = spawn(() =>
        outer.runInAsyncScope(() => {
          try {
            inner.runInAsyncScope(() => {
              try {
                sleep(10);
              } finally {
                unwound.push(`inner:${executionAsyncResource() === inner}`);
              }
            });
          } finally {
            unwound.push(`outer:${executionAsyncResource() === outer}`);
          }
        }),
      );
      sleep(0.005);
      const before = where();
      kill(t);
      sleep(0);
      assert.ok(t.dead);
      assert.deepEqual(unwound, ['inner:true', 'outer:true']);
      assert.deepEqual(where(), before);
      outer.emitDestroy();
      inner.emitDestroy();
    }));

  it('a greenlet left suspended inside a scope forever does not disturb anyone else', async () => {
    const r = new AsyncResource('abandoned');
    const before = where();
    new Greenlet(() => r.runInAsyncScope(() => main.switch())).switch();
    assert.deepEqual(where(), before);
    const inTimer = await new Promise<boolean>((res) =>
      setTimeout(() => res(executionAsyncResource() !== r && executionAsyncId() !== r.asyncId()), 2),
    );
    assert.equal(inTimer, true);
    assert.equal(
      await spawn(() => new AsyncResource('later').runInAsyncScope(() => (sleep(0.001), 'fine'))),
      'fine',
    );
  });

  it('with async hooks enabled (before/after checked on every pop) nothing aborts, in a child process', () => {
    const r = runChild(`
      const { createHook, AsyncResource, executionAsyncId } = require('node:async_hooks');
      const { Greenlet, spawn, sleep } = require(VERDANT);
      let befores = 0;
      createHook({ before() { befores++; }, after() {} }).enable();
      const main = Greenlet.getMain();
      const res = new AsyncResource('hooked');
      const g = new Greenlet(() => res.runInAsyncScope(() => { main.switch(1); return executionAsyncId() === res.asyncId(); }));
      g.switch();
      setTimeout(() => {
        const ok = g.switch();
        spawn(() => new AsyncResource('t').runInAsyncScope(() => { sleep(0.001); return 2; })).link((gt) => {
          console.log('done', ok, gt.wait(), befores > 0);
        });
      }, 1);
    `);
    assert.equal(r.status, 0, r.err);
    assert.equal(r.out, 'done true 2 true\n');
  });
});
