/**
 * One subprocess's `communicate()` in progress: a green thread writes the input to the child's stdin and closes
 * it, and one green thread per captured stream reads it to end of stream. They run concurrently, so a child
 * that fills its stderr while the parent still writes its stdin cannot deadlock them.
 *
 * The helpers outlive a `communicate` that timed out: a later call waits for the same helpers and so returns
 * everything, the bytes read before the timeout included (Python's semantics).
 * @internal
 */
import { spawn } from '../runtime/greenthread';
import { Event } from '../sync/event';
import { BrokenPipeError, ClosedError } from '../io/errors';
import type { GreenPipe } from './pipe';
import type { CapturedOutput } from './errors';

const CHUNK = 65536;

/** A reader's stream went past the limit; the Subprocess turns it into an OutputTooLargeError with its command. */
export class OutputLimitReached extends Error {
  constructor(
    readonly stream: 'stdout' | 'stderr',
    readonly limit: number,
  ) {
    super(`${stream} went past ${limit} bytes`);
  }
}

/** What one reader has read so far. */
class Collected {
  readonly chunks: Buffer[] = [];
  size = 0;

  constructor(readonly stream: 'stdout' | 'stderr') {}

  /** The bytes so far, as text with an encoding. */
  output(encoding: BufferEncoding | undefined): Buffer | string {
    const bytes = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    return encoding === undefined ? bytes : bytes.toString(encoding);
  }
}

export class Communication {
  readonly #done = new Event<void>();
  readonly #stdout: Collected | null;
  readonly #stderr: Collected | null;
  #running = 0;
  #error: unknown = undefined;

  /**
   * Starts the helpers. Each pipe given is closed by its helper when it is done with it. `label` names them in
   * dumps.
   */
  constructor(
    label: string,
    stdin: GreenPipe | null,
    input: Uint8Array | null,
    stdout: GreenPipe | null,
    stderr: GreenPipe | null,
    limit: number | null,
  ) {
    this.#stdout = stdout === null ? null : new Collected('stdout');
    this.#stderr = stderr === null ? null : new Collected('stderr');
    // Without input there is nothing to wait for: close stdin now, so the child reads end of stream.
    if (stdin !== null && input === null) stdin.close();
    else if (stdin !== null) this.#start(`${label} stdin`, () => writeInput(stdin, input!));
    if (stdout !== null) this.#start(`${label} stdout`, () => readAll(stdout, this.#stdout!, limit));
    if (stderr !== null) this.#start(`${label} stderr`, () => readAll(stderr, this.#stderr!, limit));
    if (this.#running === 0) this.#finish();
  }

  /**
   * Waits until every helper is done; false when `timeout` seconds pass first (the helpers go on). Throws, as
   * soon as it happens, the first unexpected I/O error a helper met or an {@link OutputLimitReached}.
   *
   * Switch point: unless every helper is done.
   */
  waitDone(timeout: number | null): boolean {
    if (!this.#done.ready()) this.#done.wait(timeout);
    if (!this.#done.ready()) return false;
    if (this.#error !== undefined) throw this.#error;
    return true;
  }

  /** [stdout, stderr] as read so far (all of it once {@link Communication.waitDone} returned true). */
  outputs(encoding: BufferEncoding | undefined): [CapturedOutput, CapturedOutput] {
    return [this.#stdout?.output(encoding) ?? null, this.#stderr?.output(encoding) ?? null];
  }

  #start(name: string, body: () => void): void {
    this.#running++;
    const helper = spawn(() => {
      try {
        body();
      } catch (error) {
        this.#error ??= error;
        this.#finish(); // the caller learns now; the other helpers go on
      } finally {
        if (--this.#running === 0) this.#finish();
      }
    });
    helper.name = name;
  }

  #finish(): void {
    if (!this.#done.ready()) this.#done.send();
  }
}

// Writes the input, then closes stdin so the child reads end of stream. A child that exits (or closes its
// stdin) before reading everything is not an error, as in Python: what it did not read did not matter to it.
function writeInput(stdin: GreenPipe, input: Uint8Array): void {
  try {
    if (input.byteLength > 0) stdin.writeAll(input);
  } catch (error) {
    if (!(error instanceof BrokenPipeError || error instanceof ClosedError)) throw error;
  } finally {
    stdin.close();
  }
}

// Reads to end of stream, or until `limit` bytes are held: then the pipe is closed, so that a child writing on
// gets EPIPE rather than the parent's memory. A ClosedError means the subprocess was closed under the reader:
// an end too.
function readAll(pipe: GreenPipe, into: Collected, limit: number | null): void {
  try {
    for (;;) {
      const chunk = pipe.read(CHUNK);
      if (chunk.length === 0) return;
      if (limit !== null && into.size + chunk.length > limit) {
        into.chunks.push(chunk.subarray(0, limit - into.size));
        into.size = limit;
        throw new OutputLimitReached(into.stream, limit);
      }
      into.chunks.push(chunk);
      into.size += chunk.length;
    }
  } catch (error) {
    if (!(error instanceof ClosedError)) throw error;
  } finally {
    pipe.close();
  }
}
