/**
 * The warning about modules that captured the original blocking functions before patching: a module that did
 * `const { readFileSync } = require('fs')` keeps calling the original, and blocks the whole process from green
 * threads. Only what modules export can be seen (`require.cache[file].exports` and its own properties); a
 * reference kept in a local variable is invisible.
 *
 * @internal
 */

/** A function being replaced, and its name (`fs.readFileSync`). */
export interface Replaced {
  fn: unknown;
  name: string;
}

/** The loaded modules whose exports hold one of `replaced`, with the names they hold, by file. */
export function findCaptures(replaced: Replaced[]): Map<string, string[]> {
  const names = new Map(replaced.map(({ fn, name }) => [fn, name]));
  const found = new Map<string, string[]>();
  for (const [file, module] of Object.entries(require.cache)) {
    const held = new Set<string>();
    const exported = module?.exports;
    if (names.has(exported)) held.add(names.get(exported)!);
    if (exported !== null && (typeof exported === 'object' || typeof exported === 'function')) {
      for (const value of ownValues(exported)) {
        const name = names.get(value);
        if (name !== undefined) held.add(name);
      }
    }
    if (held.size > 0) found.set(file, [...held]);
  }
  return found;
}

// Data properties only: a getter could run arbitrary code, and a Proxy's traps could throw.
function ownValues(object: object): unknown[] {
  try {
    return Reflect.ownKeys(object).map((key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(object, key);
      return descriptor !== undefined && 'value' in descriptor ? descriptor.value : undefined;
    });
  } catch {
    return [];
  }
}

/** Emits one VerdantPatchWarning naming the modules that captured originals, if any did. */
export function warnAboutCaptures(replaced: Replaced[]): void {
  const found = findCaptures(replaced);
  if (found.size === 0) return;
  const list = [...found].map(([file, held]) => `  ${file} (${held.join(', ')})`).join('\n');
  process.emitWarning(
    `${found.size === 1 ? 'a module' : `${found.size} modules`} captured blocking functions before monkeyPatch ` +
      `replaced them, and will keep calling the originals, which block every green thread:\n${list}\n` +
      'Patch before loading them (only exported references can be seen; captured local variables cannot).',
    { type: 'VerdantPatchWarning', code: 'VERDANT_CAPTURED_ORIGINALS' },
  );
}
