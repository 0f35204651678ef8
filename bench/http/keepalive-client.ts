/**
 * A closed-loop keep-alive load generator that knows which worker answered: each connection sends one GET at a
 * time and reads the answer, whose body is the pid of the process that served it. That tells, at any moment, how
 * many connections each worker holds and which requests were in flight where; wrk cannot. A request that fails
 * (reset, closed, a bad answer) is counted against the worker that held its connection, and the connection is
 * made again.
 */
import * as net from 'node:net';

export interface WorkerLoad {
  /** Connections whose last answer came from this worker. */
  connections: number;
  /** Of those, the ones with a request sent and not answered yet. */
  inFlight: number;
}

export interface LoadResult {
  answered: number;
  /** Failed requests, by the pid that held the connection (0: the connection never got an answer). */
  failedBy: Map<number, number>;
}

const REQUEST = 'GET / HTTP/1.1\r\nHost: bench\r\n\r\n';

class Connection {
  /** The pid of the last answer on this connection; 0 before the first. */
  pid = 0;
  waiting = false;
  private socket: net.Socket | null = null;
  private buffer = '';

  constructor(
    private readonly port: number,
    private readonly load: KeepAliveLoad,
  ) {}

  open(): void {
    this.pid = 0;
    this.buffer = '';
    const socket = net.connect(this.port, '127.0.0.1');
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('connect', () => this.send());
    socket.on('data', (chunk: string) => this.receive(chunk));
    const fail = () => this.fail(socket);
    socket.on('error', fail);
    socket.on('close', fail);
  }

  close(): void {
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
  }

  private send(): void {
    if (this.load.stopped) return this.close();
    this.waiting = true;
    this.socket!.write(REQUEST);
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buffer.slice(0, end);
      if (!head.startsWith('HTTP/1.1 200')) return this.fail(this.socket!);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      let body: string;
      if (length !== null) {
        const bodyEnd = end + 4 + Number(length[1]);
        if (this.buffer.length < bodyEnd) return;
        body = this.buffer.slice(end + 4, bodyEnd);
        this.buffer = this.buffer.slice(bodyEnd);
      } else {
        // Chunked (Node's http after writeHead): the pid is the one chunk before the last.
        const last = this.buffer.indexOf('\r\n0\r\n\r\n', end + 4);
        if (last < 0) return;
        body = this.buffer.slice(this.buffer.indexOf('\r\n', end + 4) + 2, last);
        this.buffer = this.buffer.slice(last + 7);
      }
      this.pid = Number(body);
      if (!Number.isInteger(this.pid) || this.pid <= 0) return this.fail(this.socket!);
      this.waiting = false;
      this.load.answered++;
      this.send();
    }
  }

  private fail(socket: net.Socket): void {
    if (socket !== this.socket) return; // An old socket's late event.
    this.socket = null;
    socket.destroy();
    if (this.waiting && !this.load.stopped) this.load.failedBy.set(this.pid, (this.load.failedBy.get(this.pid) ?? 0) + 1);
    this.waiting = false;
    if (!this.load.stopped) setImmediate(() => this.open());
  }
}

/** `connections` keep-alive connections to 127.0.0.1:`port`, each with one request always in flight. */
export class KeepAliveLoad {
  answered = 0;
  stopped = false;
  readonly failedBy = new Map<number, number>();
  private readonly connections: Connection[];

  constructor(port: number, connections: number) {
    this.connections = Array.from({ length: connections }, () => new Connection(port, this));
    for (const c of this.connections) c.open();
  }

  /** Each worker's connections and in-flight requests now, by pid (connections with no answer yet are left out). */
  byWorker(): Map<number, WorkerLoad> {
    const out = new Map<number, WorkerLoad>();
    for (const c of this.connections) {
      if (c.pid === 0) continue;
      const load = out.get(c.pid) ?? { connections: 0, inFlight: 0 };
      load.connections++;
      if (c.waiting) load.inFlight++;
      out.set(c.pid, load);
    }
    return out;
  }

  stop(): LoadResult {
    this.stopped = true;
    for (const c of this.connections) c.close();
    return { answered: this.answered, failedBy: this.failedBy };
  }
}
