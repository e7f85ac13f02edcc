/** A loopback-only static server for one folder (a report written by `mrsynth report`). */
export { isLoopbackHost, LOOPBACK_HOSTS, safeRelativePath, serveFolder } from './folderServer.js';
export type { FolderServerOptions, RunningFolderServer } from './folderServer.js';
