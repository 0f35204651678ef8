// The declared public surface: what `require('verdant')` / `import ... from 'verdant'` gives, resolved through
// the package's own name and its "exports" map, exactly as a user's code resolves it.
import { strict as assert } from 'node:assert';
import * as verdant from 'verdant';

describe('package exports', () => {
  it('resolves the package by its name to the built library', () => {
    assert.equal(require.resolve('verdant'), require.resolve('../lib'));
  });

  it('exports exactly the public API', () => {
    assert.deepEqual(Object.keys(verdant).sort(), [
      'BlockedForeverError',
      'BoundedSemaphore',
      'CappedSemaphore',
      'Channel',
      'ConcurrentWaitError',
      'Condition',
      'Empty',
      'Event',
      'EventAlreadySentError',
      'EventNotSentError',
      'Full',
      'GreenPile',
      'GreenPool',
      'GreenThread',
      'Greenlet',
      'GreenletError',
      'GreenletExit',
      'HubBlockingError',
      'IOClosed',
      'LifoQueue',
      'LightQueue',
      'Local',
      'Lock',
      'NotOwnerError',
      'OverReleaseError',
      'PoolDeadlockError',
      'PriorityQueue',
      'Queue',
      'RLock',
      'Semaphore',
      'TaskDoneError',
      'Timeout',
      'backend',
      'configure',
      'debug',
      'dumpGreenThreads',
      'getConfig',
      'getCurrent',
      'kill',
      'local',
      'run',
      'settrace',
      'sleep',
      'spawn',
      'spawnAfter',
      'spawnN',
      'stats',
      'trampoline',
      'wait',
      'withTimeout',
    ]);
  });
});
