/**
 * The script each tpool worker thread runs. For a task: load the task's module (once per worker), call the
 * export with the structured-cloned arguments, await a returned Promise, and reply with the result or what was
 * thrown. For a proxy operation: the same, on the objects this worker holds for proxies (./proxy-worker.ts).
 * Releases of proxied objects get no reply.
 *
 * @internal Started by ./pool.ts; not part of the public API.
 */
import { parentPort } from 'node:worker_threads';
import type { ProxyRequest, Reply, Request, TaskRequest } from './protocol';
import { exportedFunction, load } from './load';
import { releaseObject, runProxyOp } from './proxy-worker';
import { isError, serializeError } from './remote-error';

type Call = TaskRequest | ProxyRequest;

async function run(request: Call, sent: number[]): Promise<Reply> {
  try {
    if (request.kind === 'proxy') return { kind: 'returned', value: await runProxyOp(request.op, sent) };
    const fn = exportedFunction(await load(request.file), request.file, request.name);
    return { kind: 'returned', value: await fn(...request.args) };
  } catch (thrown) {
    giveBack(sent);
    if (isError(thrown)) return { kind: 'threw-error', error: serializeError(thrown, __filename) };
    return { kind: 'threw-value', value: thrown };
  }
}

/** References counted as sent in an answer that is not sent after all. */
function giveBack(sent: number[]): void {
  for (const id of sent.splice(0)) releaseObject(id, 1);
}

function describe(request: Call): string {
  return request.kind === 'task' ? `${request.name} from ${request.file}` : `a proxy's ${request.op.op} operation`;
}

function send(reply: Reply, request: Call, sent: number[]): void {
  try {
    parentPort!.postMessage(reply);
  } catch (error) {
    giveBack(sent);
    const what = reply.kind === 'returned' ? 'value returned' : 'value thrown';
    const unsendable = new TypeError(
      `the ${what} by ${describe(request)} cannot be sent back to the calling thread: ` +
        `${(error as Error).message} (results must be structured-cloneable)`,
    );
    parentPort!.postMessage({ kind: 'threw-error', error: serializeError(unsendable, __filename) } satisfies Reply);
  }
}

parentPort!.on('message', (request: Request) => {
  if (request.kind === 'release') {
    releaseObject(request.id, request.count);
    return;
  }
  const sent: number[] = [];
  run(request, sent).then((reply) => send(reply, request, sent));
});
