/**
 * The page's web server: index.html, the page script bundled for browsers with esbuild (its
 * `gregor-client` import resolves to the browser entry), and the two endpoints the page asks for
 * its configuration and session tokens (page-config.ts). Loopback only.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { CONFIG_PATH, type PageConfig, TOKEN_PATH } from './page-config.js';

const HERE = new URL('./', import.meta.url).pathname;

/** The page script, bundled. */
export async function bundleInboxPage(): Promise<string> {
  const bundle = await build({
    entryPoints: [`${HERE}inbox.ts`],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    // This repository's packages point this condition at their TypeScript source.
    conditions: ['gregor-source'],
    write: false,
    logLevel: 'silent',
  });
  return bundle.outputFiles[0]!.text;
}

export interface InboxPagesOptions {
  /** The page's configuration (asked at each GET /config.json: gregord may start after this). */
  config: () => PageConfig;
  /** A new session token for the page's user (called for every GET /token). */
  mintToken: () => string | Promise<string>;
  /** @default 0: any free port */
  port?: number;
}

export interface InboxPages {
  /** The page's address, http://127.0.0.1:port/. */
  readonly url: string;
  /** Its origin, for gregord's --ws-allowed-origins. */
  readonly origin: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, type: string, body: string): void {
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}

/** Bundle the page and serve it on 127.0.0.1. */
export async function serveInboxPages(options: InboxPagesOptions): Promise<InboxPages> {
  const [html, script] = await Promise.all([
    readFile(`${HERE}index.html`, 'utf8'),
    bundleInboxPage(),
  ]);
  const http = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/' || path === '/index.html') send(res, 'text/html; charset=utf-8', html);
    else if (path === '/inbox.js') send(res, 'text/javascript; charset=utf-8', script);
    else if (path === CONFIG_PATH) send(res, 'application/json', JSON.stringify(options.config()));
    else if (path === TOKEN_PATH) {
      Promise.resolve(options.mintToken()).then(
        (token) => send(res, 'text/plain', token),
        () => res.writeHead(500).end(),
      );
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
