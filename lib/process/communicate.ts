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

/** What one reader has read so far. */
class Collected {
  readonly chunks: Buffer[] = [];

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
  constructor(label: string, stdin: GreenPipe | null, input: Uint8Array | null, stdout: GreenPipe | null, stderr: GreenPipe | null) {
    this.#stdout = stdout === null ? null : new Collected();
    this.#stderr = stderr === null ? null : new Collected();
    // Without input there is nothing to wait for: close stdin now, so the child reads end of stream.
    if (stdin !== null && input === null) stdin.close();
    else if (stdin !== null) this.#start(`${label} stdin`, () => writeInput(stdin, input!));
    if (stdout !== null) this.#start(`${label} stdout`, () => readAll(stdout, this.#stdout!));
    if (stderr !== null) this.#start(`${label} stderr`, () => readAll(stderr, this.#stderr!));
    if (this.#running === 0) this.#done.send();
  }

  /**
   * Waits until every helper is done; false when `timeout` seconds pass first (the helpers go on). Throws the
   * first unexpected I/O error a helper met.
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
      } finally {
        if (--this.#running === 0) this.#done.send();
      }
    });
    helper.name = name;
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

// Reads to end of stream. A ClosedError means the subprocess was closed under the reader: an end too.
function readAll(pipe: GreenPipe, into: Collected): void {
  try {
    for (;;) {
      const chunk = pipe.read(CHUNK);
      if (chunk.length === 0) return;
      into.chunks.push(chunk);
    }
  } catch (error) {
    if (!(error instanceof ClosedError)) throw error;
  } finally {
    pipe.close();
  }
}
