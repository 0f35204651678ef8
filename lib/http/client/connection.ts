/**
 * One HTTP/1.1 connection: a stream to an origin, the buffered reader responses are parsed from, and what the
 * pool needs to know to reuse it (how many bytes came in, since when it is idle, how long the server keeps it).
 */
import { GreenFile } from '../../net/file';
import { GreenSocket, MSG } from '../../net/socket';
import { WouldBlockError } from '../../io/errors';
import type { HttpStream } from './connector';

// Bytes of read buffer per connection: big enough that a large body comes in few, large pieces.
const READ_BUFFER = 32 * 1024;
const PROBE = Buffer.alloc(1);

export class Connection {
  readonly stream: HttpStream;
  /** What responses are read from (status line, headers and body). */
  readonly reader: GreenFile;
  /** Bytes received so far: unchanged across an exchange means the server sent nothing back. */
  bytesReceived = 0;
  /** Exchanges started on it. */
  exchanges = 0;
  /** performance.now() when it went idle in the pool. */
  idleSince = 0;
  /** Seconds the server said it keeps an idle connection (its `Keep-Alive: timeout=N`), or Infinity. */
  serverIdleLimit = Infinity;

  constructor(stream: HttpStream) {
    this.stream = stream;
    this.reader = new GreenFile(
      {
        read: (view, offset, length) => {
          const n = stream.recvInto(view.subarray(offset, offset + length));
          this.bytesReceived += n;
          return n;
        },
        write: () => {
          // cannot happen: the reader is opened 'r', so GreenFile refuses writes (FileModeError) before this.
          throw new Error('requests are written to the stream, not to the reader');
        },
      },
      'r',
      { bufferSize: READ_BUFFER },
    );
  }

  /**
   * Notes the server's `Keep-Alive` header (`timeout=5, max=100`): the connection is not reused once it has been
   * idle nearly that long, since the server may be closing it right then.
   */
  noteKeepAlive(header: string | null): void {
    const match = header === null ? null : /(?:^|[,;\s])timeout\s*=\s*(\d+)/i.exec(header);
    if (match !== null) {
      const seconds = Number(match[1]);
      this.serverIdleLimit = Math.max(seconds - 1, seconds / 2);
    }
  }

  /**
   * True when an idle connection is visibly unusable: the server closed it (end of stream waits to be read) or
   * sent bytes nobody asked for. Only plain sockets can be peeked at without consuming; other streams (TLS) say
   * false here and rely on the stale-connection retry.
   *
   * Switch point: never.
   */
  looksDropped(): boolean {
    const stream = this.stream;
    if (!(stream instanceof GreenSocket)) return false;
    const timeout = stream.getTimeout();
    stream.setTimeout(0);
    try {
      stream.recvInto(PROBE, 1, MSG.PEEK);
      return true; // end of stream (0) or unsolicited bytes
    } catch (error) {
      return !(error instanceof WouldBlockError);
    } finally {
      stream.setTimeout(timeout);
    }
  }

  close(): void {
    this.reader.close();
    this.stream.close();
  }
}
