/**
 * Lines of bounded length from a backdoor client: the server never holds more of one line than its limit,
 * however many bytes the peer sends without a newline.
 */
import type { GreenFile } from '../net/file';
import { BackdoorInputTooLongError } from './errors';

/**
 * The most bytes of the token line (CR LF included) read before authentication; also the connection's read
 * buffer size, so a stranger makes the server read and hold at most this much.
 *
 * A fixed 1 KiB rather than one derived from the token: a peer that sends a long line is told it was too long,
 * and a limit that followed the token's length would tell a prober how long the token is. 1 KiB holds any
 * sensible secret (a 256-bit key is 64 hex or 44 base64 characters) many times over; serve() refuses a token
 * longer than `TOKEN_LINE_LIMIT - 2` bytes, so the limit never turns the right token away.
 */
export const TOKEN_LINE_LIMIT = 1024;

/**
 * The most bytes of one REPL input line (its newline included). Typed or pasted JavaScript is far shorter; a
 * longer line is a mistake (a file piped into nc), and would be held several times over (read buffer, string,
 * compiled source) with no bound at all.
 *
 * Both limits are the read buffer's first size times a power of two, so the buffer, which doubles while a line
 * does not fit, stops growing at the limit: the server never reads more of a line from the connection than that.
 */
export const INPUT_LINE_LIMIT = 1024 * 1024;

const NEWLINE = 0x0a;

/**
 * The next line (its `\n` included; the last one may lack it; empty at end of input) if it is at most `limit`
 * bytes, or null if it is longer, having consumed `limit` bytes of it and no more.
 *
 * A last line of exactly `limit` bytes with no `\n` counts as too long: telling it apart would take another read.
 */
export function readBoundedLine(file: GreenFile, limit: number): Buffer | null {
  const line = file.readline(limit) as Buffer;
  return line.length === limit && line[limit - 1] !== NEWLINE ? null : line;
}

/**
 * One line of REPL input, decoded; a {@link BackdoorInputTooLongError} for a line over {@link INPUT_LINE_LIMIT},
 * of which no more than the limit was read.
 */
export function readInputLine(file: GreenFile): string {
  const line = readBoundedLine(file, INPUT_LINE_LIMIT);
  if (line === null) throw new BackdoorInputTooLongError(INPUT_LINE_LIMIT);
  return line.toString('utf8');
}
