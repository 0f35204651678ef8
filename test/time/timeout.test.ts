// Timeout used wrongly: starting one that is already pending is a TimeoutAlreadyPendingError.
import { strict as assert } from 'node:assert';
import { Timeout, TimeoutAlreadyPendingError, sleep, spawn } from 'verdant';

describe('time: Timeout', () => {
  it('start() on a pending Timeout is a TimeoutAlreadyPendingError; after cancel() it starts again', () =>
    spawn(() => {
      const t = new Timeout(5);
      try {
        assert.throws(
          () => t.start(),
          (e: unknown) =>
            e instanceof TimeoutAlreadyPendingError &&
            e.seconds === 5 &&
            e.message === 'Timeout.start refused: this Timeout(5 s) is already pending (armed, not yet fired or cancelled); cancel() it before starting it again',
        );
        assert.ok(t.pending, 'the refused start left the first alarm armed');
        t.cancel();
        t.start();
        assert.ok(t.pending);
        sleep(0);
      } finally {
        t.cancel();
      }
    }));
});
