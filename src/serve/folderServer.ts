/**
 * A small static file server for one folder (a report): GET and HEAD only, correct MIME types, single byte ranges
 * for large volumes, and nothing outside the folder. It is meant for the user's own browser on the same machine, so
 * it binds to loopback unless told otherwise and answers only requests whose Host header names this server by a
 * loopback name (or the host it was explicitly opened on): a page on another site that rebinds its own DNS name to
 * 127.0.0.1 (DNS rebinding) sends its own name as Host and is refused.
 *
 * A request path is refused (400 or 404, never a file outside) when, once percent-decoded, it holds `..` or `.`
 * segments, a backslash, a NUL, an encoded slash, or a hidden (dot) segment; when it is not absolute; and when the
 * file it names resolves (through symbolic links) to a place outside the folder's own real path.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { promises as fs, createReadStream } from 'node:fs';
import { extname, join, sep } from 'node:path';
import { isIP } from 'node:net';

export interface FolderServerOptions {
  /** Interface to bind; default 127.0.0.1. Anything but a loopback address exposes the folder to the network. */
  readonly host?: string;
  /** Port; 0 (the default) takes a free one. */
  readonly port?: number;
}

export interface RunningFolderServer {
  readonly server: Server;
  /** The base URL to open, e.g. http://127.0.0.1:8123/. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', 'localhost', '::1'];

const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/jsonl; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.gz': 'application/gzip',
  '.nii': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
};

/** Whether `host` (an interface address or name) only reaches this machine. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.includes(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Serves `root` until closed; resolves once listening. */
export async function serveFolder(root: string, options: FolderServerOptions = {}): Promise<RunningFolderServer> {
  const stat = await fs.stat(root).catch((error: Error) => {
    throw new Error(`serve: cannot read ${root}: ${error.message}`);
  });
  if (!stat.isDirectory()) throw new Error(`serve: ${root} is not a folder`);
  const realRoot = await fs.realpath(root);
  const host = options.host ?? '127.0.0.1';
  const server = createServer((request, response) => {
    handle(request, response, realRoot, host).catch(() => send(response, 500, 'internal error'));
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`serve: cannot listen on ${host}:${options.port ?? 0}: ${error.message}`)));
    server.listen(options.port ?? 0, host, () => resolveListen());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('serve: the server has no TCP address');
  const shown = isIP(host) === 6 ? `[${host}]` : host;
  return {
    server, port: address.port, url: `http://${shown}:${address.port}/`,
    close: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }),
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, realRoot: string, boundHost: string): Promise<void> {
  if (!hostAllowed(request.headers.host, boundHost)) return send(response, 421, 'unknown Host header');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    return send(response, 405, 'only GET and HEAD');
  }
  const relative = safeRelativePath(request.url ?? '');
  if (relative === undefined) return send(response, 400, 'bad path');
  let file = join(realRoot, ...relative);
  let stat = await fs.stat(file).catch(() => undefined);
  if (stat?.isDirectory()) {
    file = join(file, 'index.html');
    stat = await fs.stat(file).catch(() => undefined);
  }
  if (stat === undefined || !stat.isFile()) return send(response, 404, 'not found');
  const real = await fs.realpath(file).catch(() => undefined);
  if (real === undefined || !real.startsWith(realRoot + sep)) return send(response, 404, 'not found');

  response.setHeader('Content-Type', MIME_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream');
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Cache-Control', 'no-cache');
  response.setHeader('Accept-Ranges', 'bytes');
  const range = parseRange(request.headers.range, stat.size);
  if (range === 'unsatisfiable') {
    response.setHeader('Content-Range', `bytes */${stat.size}`);
    return send(response, 416, 'range not satisfiable');
  }
  const [start, end] = range ?? [0, stat.size - 1];
  response.statusCode = range === undefined ? 200 : 206;
  if (range !== undefined) response.setHeader('Content-Range', `bytes ${start}-${end}/${stat.size}`);
  response.setHeader('Content-Length', String(Math.max(0, end - start + 1)));
  if (request.method === 'HEAD' || stat.size === 0) {
    response.end();
    return;
  }
  const stream = createReadStream(real, { start, end });
  stream.on('error', () => response.destroy());
  stream.pipe(response);
}

/** Whether a request's Host header names this server: a loopback name, or the host it was bound to. */
function hostAllowed(header: string | undefined, boundHost: string): boolean {
  if (header === undefined) return false;
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(header.trim());
  if (match === null) return false;
  const name = (match[1] ?? match[2]).toLowerCase();
  return isLoopbackHost(name) || name === boundHost.toLowerCase();
}

/** The path's segments, or undefined when the path could lead anywhere but to a visible file under the root. */
export function safeRelativePath(url: string): string[] | undefined {
  if (!url.startsWith('/')) return undefined;
  const path = url.split(/[?#]/, 1)[0];
  if (/%2f|%5c|%00/i.test(path)) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  if (/[\\\0]/.test(decoded) || decoded.includes('//')) return undefined;
  const segments = decoded.split('/').slice(1);
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  if (segments.some((s) => s === '' || s.startsWith('.'))) return undefined;
  return segments;
}

/** One `bytes=` range (first-last, first-, or -suffix) clipped to the file; several ranges are served whole. */
function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return undefined;
  const [, first, last] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return [start, end];
}

function send(response: ServerResponse, status: number, text: string): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.statusCode = status;
  response.setHeader('Content-Type', 'text/plain; charset=utf-8');
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.end(`${text}\n`);
}
