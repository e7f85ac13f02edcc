import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { promises as fs } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLoopbackHost, serveFolder, type RunningFolderServer } from './index.js';

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/**
 * Sends `request` byte for byte over a real socket (no URL normalisation on the way, unlike fetch) and reads the
 * whole answer; the server closes the connection because the request asks it to.
 */
function rawRequest(port: number, request: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, split).toString('latin1').split('\r\n');
      const headers = new Map(head.slice(1).map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as [string, string];
      }));
      resolve({ status: Number(head[0].split(' ')[1]), headers, body: all.subarray(split + 4) });
    });
    socket.write(request);
  });
}

const get = (port: number, path: string, host = `127.0.0.1:${port}`, extra = '') =>
  rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`);

describe('serveFolder', () => {
  const base = mkdtempSync(join(tmpdir(), 'mrsynth-serve-'));
  const root = join(base, 'report');
  const secret = 'SECRET-OUTSIDE-THE-REPORT';
  const volume = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
  let running: RunningFolderServer;

  before(async () => {
    await fs.mkdir(join(root, 'cases', 'a b'), { recursive: true });
    await fs.writeFile(join(root, 'index.html'), '<!doctype html><title>report</title>');
    await fs.writeFile(join(root, 'cases', 'a b', 'page.html'), 'case page');
    await fs.writeFile(join(root, 'volume.nii.gz'), volume);
    await fs.writeFile(join(root, 'viewer.js'), 'void 0;');
    await fs.writeFile(join(root, '.hidden'), secret);
    await fs.writeFile(join(base, 'secret.txt'), secret);
    await fs.mkdir(join(base, 'report-sibling'));
    await fs.writeFile(join(base, 'report-sibling', 'x.txt'), secret);
    await fs.symlink(join(base, 'secret.txt'), join(root, 'link-out.txt'));
    await fs.symlink(base, join(root, 'dir-link-out'));
    await fs.symlink(join(root, 'viewer.js'), join(root, 'link-in.js'));
    running = await serveFolder(root);
  });
  after(async () => {
    await running.close();
    await fs.rm(base, { recursive: true, force: true });
  });

  test('binds to loopback by default and prints a loopback URL', () => {
    const address = running.server.address();
    assert.ok(typeof address === 'object' && address !== null);
    assert.equal(address.address, '127.0.0.1');
    assert.equal(running.url, `http://127.0.0.1:${running.port}/`);
    assert.ok(isLoopbackHost('localhost') && isLoopbackHost('127.0.0.2') && !isLoopbackHost('0.0.0.0') && !isLoopbackHost('example.com'));
  });

  test('serves files with their MIME types, folders through index.html, and HEAD without a body', async () => {
    const index = await get(running.port, '/');
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(index.body.toString(), /<title>report<\/title>/);
    const script = await get(running.port, '/viewer.js');
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(script.headers.get('x-content-type-options'), 'nosniff');
    const spaced = await get(running.port, '/cases/a%20b/page.html?x=1#y');
    assert.equal(spaced.status, 200);
    assert.equal(spaced.body.toString(), 'case page');
    const gz = await get(running.port, '/volume.nii.gz', `localhost:${running.port}`);
    assert.equal(gz.headers.get('content-type'), 'application/gzip');
    assert.deepEqual(gz.body, volume);
    const head = await rawRequest(running.port, `HEAD /volume.nii.gz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), '1000');
    assert.equal(head.body.length, 0);
    assert.equal((await get(running.port, '/link-in.js')).status, 200, 'a link that stays inside the folder is served');
  });

  test('answers byte ranges of large files (206 with Content-Range; 416 past the end)', async () => {
    const cases: [string, number, number][] = [['bytes=10-19', 10, 19], ['bytes=990-', 990, 999], ['bytes=-5', 995, 999], ['bytes=995-5000', 995, 999]];
    for (const [range, first, last] of cases) {
      const response = await get(running.port, '/volume.nii.gz', '127.0.0.1', `Range: ${range}\r\n`);
      assert.equal(response.status, 206, range);
      assert.equal(response.headers.get('content-range'), `bytes ${first}-${last}/1000`, range);
      assert.deepEqual(response.body, volume.subarray(first, last + 1), range);
    }
    const past = await get(running.port, '/volume.nii.gz', '127.0.0.1', 'Range: bytes=1000-1001\r\n');
    assert.equal(past.status, 416);
    assert.equal(past.headers.get('content-range'), 'bytes */1000');
  });

  test('refuses every crafted path that leads out of the folder, to a hidden file or through an encoded separator', async () => {
    const attempts = [
      '/../secret.txt', '/cases/../../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E/secret.txt', '/cases/%2e%2e/%2e%2e/secret.txt',
      '/..%2fsecret.txt', '/..%2Fsecret.txt', '/%2e%2e%2fsecret.txt', '/..\\secret.txt', '/..%5csecret.txt', '/%252e%252e/secret.txt',
      '/%c0%ae%c0%ae/secret.txt', '/./index.html', '//etc/passwd', '/%2fetc%2fpasswd', `/${base.slice(1)}/secret.txt`,
      'http://127.0.0.1/../secret.txt', '../secret.txt', '/link-out.txt', '/dir-link-out/secret.txt', '/.hidden', '/index.html%00.js',
      '/../report-sibling/x.txt', '/%2e%2e/report-sibling/x.txt', '/dir-link-out/report-sibling/x.txt',
    ];
    assert.ok(attempts.length >= 20);
    for (const path of attempts) {
      const response = await get(running.port, path);
      assert.ok([400, 404].includes(response.status), `${path} answered ${response.status}`);
      assert.ok(!response.body.toString().includes(secret), `${path} leaked the file`);
    }
  });

  test('refuses requests whose Host header is not a loopback name (DNS rebinding), and any method but GET and HEAD', async () => {
    const hosts = ['evil.example', 'evil.example:80', `attacker.test:${0}`, '127.0.0.1.nip.io', 'localhost.evil.example', '0.0.0.0',
      '192.168.1.5', '[::ffff:7f00:1]x', 'localhost:80:80', '', 'user@127.0.0.1'];
    for (const host of hosts) {
      const response = await get(running.port, '/index.html', host);
      assert.ok([400, 421].includes(response.status), `Host '${host}' answered ${response.status}`);
    }
    const noHost = await rawRequest(running.port, 'GET /index.html HTTP/1.0\r\n\r\n');
    assert.ok([400, 421].includes(noHost.status), `no Host answered ${noHost.status}`);
    for (const host of ['localhost', 'LOCALHOST:1234', '[::1]:8000', '127.0.0.1']) {
      assert.equal((await get(running.port, '/index.html', host)).status, 200, host);
    }
    const post = await rawRequest(running.port, 'POST /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });

  test('a missing folder is refused by name', async () => {
    await assert.rejects(serveFolder(join(base, 'nope')), /serve: cannot read .*nope/);
    await assert.rejects(serveFolder(join(root, 'index.html')), /is not a folder/);
  });
});
