/**
 * The script a `verdant serve` worker process runs (the controller starts `node worker-main.js` with the
 * listening socket as fd 3, the accept balance table as fd 4 and an IPC channel).
 * @internal
 */
import { runWorker } from './worker';

runWorker();
