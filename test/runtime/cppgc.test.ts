// cppgc scans the running machine stack conservatively; on a greenlet that is the greenlet's own stack, which the
// fcontext backend points V8's stack-start slot at on every switch. A wrong slot shows here as a freed probe or
// as a fault while scanning. The control (no stack scan) proves that the collection really runs.
import { strict as assert } from 'node:assert';
import { Greenlet } from '../../lib';
import { native } from '../../lib/runtime/native';

const gc = (globalThis as { gc?: () => void }).gc;
const collectFromJs = () => gc!();

function probe(scanStack: boolean): boolean {
  // V8 aborts a forced collection without --expose-gc (.mocharc.json passes it).
  assert.equal(typeof gc, 'function', 'run with --expose-gc');
  const survived = native.testing_cppgc_probe(collectFromJs, scanStack);
  assert.equal(typeof survived, 'boolean', 'this Node has no C++ heap to probe');
  return survived as boolean;
}

describe('cppgc stack scanning', () => {
  it('keeps an object referenced only from a native frame, on main, on a greenlet and on main again', () => {
    const main = Greenlet.getMain();
    assert.equal(probe(true), true, 'on main');
    const g = new Greenlet(() => {
      const first = probe(true);
      main.switch(first);
      return probe(true);
    });
    assert.equal(g.switch(), true, 'on a greenlet');
    assert.equal(probe(true), true, 'on main while a greenlet is parked');
    assert.equal(g.switch(), true, 'on a resumed greenlet');
    assert.equal(probe(true), true, 'on main after the greenlet finished');
  });

  it('frees the same object when the stack is not scanned (the control)', () => {
    assert.equal(probe(false), false, 'on main');
    assert.equal(new Greenlet(() => probe(false)).switch(), false, 'on a greenlet');
  });

  it('scans the right stack for greenlets whose stacks lie above and below each other', () => {
    const main = Greenlet.getMain();
    const parked = Array.from({ length: 16 }, () => new Greenlet(() => probe(main.switch() as boolean)));
    for (const g of parked) g.switch();
    // Resume in reverse creation order, so consecutive scans run on stacks mapped in both directions.
    const results = parked.reverse().map((g) => g.switch(true));
    assert.deepEqual(results, Array(16).fill(true));
  });
});
