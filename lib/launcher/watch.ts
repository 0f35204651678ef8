/**
 * Watching the app's directory for `--reload`: one debounced callback per burst of changes (an editor's save
 * is often several events: a temporary file, a rename, a chmod).
 *
 * macOS and Windows watch a whole tree natively (`fs.watch(dir, { recursive: true })`). On Linux, Node 20 and 22
 * emulate that by watching every directory below, node_modules included, which can use up the inotify watches;
 * so there we walk the tree ourselves, skipping `node_modules` and dot-directories, and watch each directory,
 * adding the ones created later.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Options of {@link watchTree}. */
export interface WatchOptions {
  /** Seconds without events before the callback runs. Default 0.2. */
  debounce?: number;
  /** Files to ignore (absolute paths): the launcher's own access log and pid file, say. */
  ignore?: readonly string[];
}

/** A running watch; `close()` ends it (idempotent). */
export interface TreeWatch {
  close(): void;
}

const NATIVE_RECURSIVE = process.platform === 'darwin' || process.platform === 'win32';

/** node_modules and hidden entries (.git, editors' swap files) are never app code worth a reload. */
function skipped(name: string): boolean {
  return name === 'node_modules' || name.startsWith('.');
}

/**
 * Calls `onChange(files)` once a burst of changes under `root` has settled; `files` are the absolute paths
 * reported (a platform may report none, then it is empty).
 */
export function watchTree(root: string, onChange: (files: string[]) => void, options: WatchOptions = {}): TreeWatch {
  const debounceMs = (options.debounce ?? 0.2) * 1000;
  const ignored = new Set(options.ignore ?? []);
  const watchers = new Map<string, fs.FSWatcher>();
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const fire = () => {
    timer = null;
    const files = [...pending];
    pending = new Set();
    onChange(files);
  };

  const changed = (dir: string, name: string | null) => {
    if (closed) return;
    if (name !== null) {
      const file = path.join(dir, name);
      const parts = path.relative(root, file).split(path.sep);
      if (ignored.has(file) || parts.some(skipped)) return;
      pending.add(file);
      if (!NATIVE_RECURSIVE) watchDirectory(file);
    }
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(fire, debounceMs);
  };

  const watchDirectory = (dir: string) => {
    if (watchers.has(dir)) return;
    let entries: fs.Dirent[];
    try {
      if (!fs.statSync(dir).isDirectory()) return;
      const watcher = fs.watch(dir, { persistent: false }, (_event, name) => changed(dir, name === null ? null : String(name)));
      // A watched directory that disappears errors on some platforms: forget it (its parent reports the removal).
      watcher.on('error', () => unwatch(dir));
      watchers.set(dir, watcher);
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // gone already, or not readable: nothing to watch
    }
    for (const entry of entries) {
      if (entry.isDirectory() && !skipped(entry.name)) watchDirectory(path.join(dir, entry.name));
    }
  };

  const unwatch = (dir: string) => {
    watchers.get(dir)?.close();
    watchers.delete(dir);
  };

  if (NATIVE_RECURSIVE) {
    const watcher = fs.watch(root, { recursive: true, persistent: false }, (_event, name) => {
      changed(root, name === null ? null : String(name));
    });
    watcher.on('error', () => {});
    watchers.set(root, watcher);
  } else {
    watchDirectory(root);
  }

  return {
    close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      for (const dir of [...watchers.keys()]) unwatch(dir);
    },
  };
}
