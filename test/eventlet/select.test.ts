// eventlet's tests/green_select_test.py, translated to verdant's API: the green select.
import { strict as assert } from 'node:assert';
import { ClosedError, GreenSocket, Timeout, select, sleep, spawn } from 'verdant';

describe('eventlet green_select_test.py', () => {
  it('test_select_mark_file_as_reopened', () =>
    spawn(() => {
      // eventlet#294: a select waiting on an fd that the hub learns is gone ends with the hub's IOClosed. eventlet
      // tells its hub directly (mark_as_reopened); closing the socket in verdant tells the hub the same way.
      const s = new GreenSocket();
      s.setBlocking(false);
      s.bind(['127.0.0.1', 0]);
      s.listen(5);
      const gt = spawn(() => select([s], [s], [s]));
      sleep(0.01);
      const t = new Timeout(0.5);
      try {
        s.close();
        assert.throws(() => gt.wait(), ClosedError);
      } finally {
        t.cancel();
      }
    }));
});
