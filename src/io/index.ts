/**
 * Files: atomic writes and existence checks here; each format in its own folder with its own face (nifti/,
 * safetensors/, pytorch/). Bytes in, typed objects out: nothing here knows networks or optimisers.
 */
export { removeOrphanedTemporaries, writeFileAtomic, writeFileAtomicSync } from './atomic.js';
export { FolderLock, LOCK_FILE } from './folderLock.js';
export { isRunning, processIdentity } from './processes.js';
export type { ProcessIdentity } from './processes.js';
export { checkJsonNesting, jsonNestingDepth } from './jsonNesting.js';
export { makeFolder } from './makeFolder.js';
export { pathExists } from './pathExists.js';
export { openRegularFile, readRegularFile } from './regularFile.js';
export {
  DEFAULT_READER_LIMITS, overLimit, parseLimits, readerLimits, resetReaderLimits, setReaderLimits,
} from './readerLimits.js';
export type { ReaderLimitName, ReaderLimits } from './readerLimits.js';
