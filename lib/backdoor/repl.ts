/**
 * The backdoor's read-eval-print loop: lines in, `util.inspect`ed results out, run by whoever calls
 * {@link runRepl} (the connection's green thread), so the code typed may block.
 *
 * Why not Node's `repl` module: it reads from a stream and evaluates in the stream's `'data'` callback, which
 * runs on the main stack, where blocking calls throw. Driving it from a green socket would take a Duplex whose
 * reads are pumped by one green thread and whose writes, made from the main stack, need another, plus a custom
 * async `eval` that hands each input to a third green thread; and Node's repl speaks to a terminal (escape codes,
 * completion, history) that a socket client may not be. A loop of our own is short, runs every input on the
 * connection's own green thread, and reads plain lines, so `nc`, `telnet` and a test's socket all work.
 */
import * as vm from 'node:vm';
import { inspect, format, types } from 'node:util';
import { GreenletExit } from '../runtime/errors';
import { BackdoorInputTooLongError } from './errors';

/** What the loop reads from and writes to: the connection, as lines. */
export interface LineChannel {
  /**
   * The next line with its `\n` (the last one may lack it); empty at end of input; a
   * {@link BackdoorInputTooLongError} for a line over the channel's limit.
   */
  readline(): string;
  /** Sends `text` now (it must reach the peer before the loop reads again). */
  write(text: string): void;
}

export const PROMPT = '>>> ';
export const CONTINUATION = '... ';

const HELP = [
  'Type JavaScript; each complete input runs in this connection\'s green thread, so blocking calls work.',
  'An input left open (an unclosed bracket, a trailing operator) continues on the next line.',
  'In scope: the locals given to backdoor.serve, dumpGreenThreads(), print(...values), _ (the last result).',
  '.break  drop an unfinished input      .exit  close this connection      .help  this text',
  '',
].join('\n');

// V8's words for a source that ends before it is complete: more lines may finish it.
const INCOMPLETE = /^(Unexpected end of input|Unterminated template literal)/;

/** An input compiled: a script to run, a source that needs more lines, or a syntax error to report. */
export type Compiled = { kind: 'script'; script: vm.Script } | { kind: 'incomplete' } | { kind: 'error'; error: unknown };

/**
 * Compiles one input. One that starts with `{` is tried as an expression first, so `{ a: 1 }` is an object and
 * not a block (what Node's REPL does).
 */
export function compileInput(source: string, filename: string): Compiled {
  if (/^\s*\{/.test(source) && !/;\s*$/.test(source)) {
    try {
      return { kind: 'script', script: new vm.Script(`(${source}\n)`, { filename }) };
    } catch {
      // Not an expression: compile it as statements below.
    }
  }
  try {
    return { kind: 'script', script: new vm.Script(source, { filename }) };
  } catch (error) {
    if (error instanceof SyntaxError && INCOMPLETE.test(error.message)) return { kind: 'incomplete' };
    return { kind: 'error', error };
  }
}

/**
 * Runs the loop on `channel` until end of input or `.exit`: prompts, reads an input (several lines if it is
 * incomplete), runs it in `context`, prints its value with `util.inspect` (nothing for undefined, as Python's
 * REPL prints nothing for None), or the exception it threw. No exception the code throws ends the loop; a
 * {@link GreenletExit} (the thread is being killed) is let through, so the server can end connections.
 *
 * A line over the channel's limit ends the loop as end of input does, after telling the client why.
 */
export function runRepl(channel: LineChannel, context: vm.Context): void {
  let pending = '';
  let inputs = 0;
  for (;;) {
    channel.write(pending === '' ? PROMPT : CONTINUATION);
    let line: string;
    try {
      line = channel.readline();
    } catch (error) {
      if (!(error instanceof BackdoorInputTooLongError)) throw error;
      channel.write(`${error.message}\n`);
      return;
    }
    if (line === '') return;
    const text = line.replace(/\r?\n$/, '');
    const command = text.trim();
    if (pending === '' && command === '') continue;
    if (command === '.exit') return;
    if (command === '.help') {
      channel.write(HELP);
      continue;
    }
    if (command === '.break') {
      pending = '';
      continue;
    }
    const source = pending === '' ? text : `${pending}\n${text}`;
    const compiled = compileInput(source, `backdoor#${++inputs}`);
    if (compiled.kind === 'incomplete') {
      pending = source;
      continue;
    }
    pending = '';
    if (compiled.kind === 'error') {
      // The source line and caret of a SyntaxError's stack repeat what was just typed; the frames are ours.
      const { name, message } = compiled.error as SyntaxError;
      channel.write(`Uncaught ${name}: ${message}\n`);
      continue;
    }
    let value: unknown;
    try {
      value = compiled.script.runInContext(context, { displayErrors: false });
    } catch (error) {
      if (error instanceof GreenletExit) throw error;
      channel.write(describeError(error));
      continue;
    }
    context._ = value;
    if (value !== undefined) channel.write(`${safeInspect(value)}\n`);
  }
}

/** `print(...values)` for the context: `util.format`ted onto the connection, as console.log would on stdout. */
export function printer(channel: LineChannel): (...values: unknown[]) => void {
  return (...values) => channel.write(`${format(...values)}\n`);
}

function describeError(error: unknown): string {
  const text = safeInspect(error);
  if (!types.isNativeError(error)) return `Uncaught ${text}\n`;
  // Below the typed code's frames come the REPL's own (vm, this loop, the server, the green thread): cut them.
  const lines = text.split('\n');
  const first = lines.findIndex((line) => /^\s+at .*\bnode:vm:/.test(line));
  if (first >= 0) {
    let end = first;
    while (end < lines.length && /^\s+at /.test(lines[end])) end++;
    lines.splice(first, end - first);
  }
  return `Uncaught ${lines.join('\n')}\n`;
}

// A value whose inspection throws (a hostile Proxy, a getter that throws) must not end the connection.
function safeInspect(value: unknown): string {
  try {
    return inspect(value, { depth: 4, colors: false });
  } catch (error) {
    return `[value that cannot be inspected: ${String((error as Error)?.message ?? error)}]`;
  }
}
