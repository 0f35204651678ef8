/**
 * Loads the native addon. Each subsystem types its own part of it in a binding module next to the code that
 * calls it (lib/runtime/native.ts, lib/io/native.ts, lib/net/tls/native.ts, lib/http/native.ts,
 * lib/debug/native.ts), mirroring the native folders' bindings.cc. Internal: lib/ validates every argument before
 * calling it.
 *
 * The addon is looked up at `$VERDANT_ADDON` (used by the Node matrix script to test one build per Node line),
 * then by node-gyp-build: the node-gyp (or cmake-js) build output of this package, then its prebuilt binaries.
 * @internal
 */
import { join } from 'node:path';

/** node-gyp-build (it ships no types): where the addon for this platform, architecture and ABI is. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeGypBuild: { path(packageDir: string): string } = require('node-gyp-build');

function addonPath(): string {
  const explicit = process.env.VERDANT_ADDON;
  if (explicit) return explicit;
  const root = join(__dirname, '..', '..', '..');
  try {
    // A source build (build/Release, build/Debug) first, then the package's prebuilds/<platform>-<arch>/ binary
    // for this Node ABI and libc.
    return nodeGypBuild.path(root);
  } catch (error) {
    throw new AddonNotFoundError(root, error instanceof Error ? error.message : String(error));
  }
}

/**
 * Neither a prebuilt binary for this platform, architecture and Node version nor a source build of the addon was
 * found. The message names what was looked for and how to build it.
 */
export class AddonNotFoundError extends Error {
  constructor(
    /** The package directory that was searched. */
    readonly packageDir: string,
    /** node-gyp-build's account of what it looked for. */
    readonly detail: string,
  ) {
    super(
      `verdant: no native addon for this system (${detail.trim()}). There is no prebuilt binary for it in ` +
        `${join(packageDir, 'prebuilds')} and no source build in ${join(packageDir, 'build')}: build one with ` +
        '`npm rebuild verdant --build-from-source` (needs a C++ compiler, make and python3).',
    );
    this.name = 'AddonNotFoundError';
  }
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
/** The addon's exports, untyped: the binding modules give each subsystem's part its type. */
export const addon: unknown = require(addonPath());
