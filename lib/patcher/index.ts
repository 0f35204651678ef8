/**
 * lib/patcher: explicit, reversible monkey-patching of Node's blocking `*Sync` functions (fs, child_process,
 * zlib, crypto) so that they block only the calling green thread. Untouched on the main stack. See
 * docs/fs-tpool-patcher.md.
 *
 * @packageDocumentation
 */
export { monkeyPatch, unpatch, isPatched, original } from './patch';
export type { PatchSelection, ModuleName as PatchableModule } from './modules';
