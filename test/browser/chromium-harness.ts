// What the Chromium tests share: whether the browser is there (outside CI a machine without
// /usr/bin/chromium skips with a line; under CI=true .ci/run installs it and a missing browser
// fails), a page server that bundles a page script with esbuild, and the launch flags.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';

const CHROMIUM = process.env.GREGOR_TEST_CHROMIUM ?? '/usr/bin/chromium';
const isCI = process.env.CI === 'true' || process.env.CI === '1';

/** Why the Chromium tests skip here (undefined: they run). Throws under CI when it is missing. */
export function chromiumMissing(): string | undefined {
  const missing = existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM}`;
  if (missing !== undefined && isCI) throw new Error(`${missing} (CI=true: .ci/run installs it)`);
  if (missing !== undefined) console.log(`# SKIP ${missing}; apt-get install chromium to run it`);
  return missing;
}

/** An HTTP server of one page whose module script is `entry` bundled for a browser. */
export interface PageServer {
  /** The page's URL (same origin for every tab). */
  readonly url: string;
  close(): Promise<void>;
}

/** Bundle `entry` (a file URL or path) and serve it at / on a loopback port. */
export async function servePage(entry: URL): Promise<PageServer> {
  const bundle = await build({
    entryPoints: [entry.pathname],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]!.text;
  const server: Server = createServer((req, res) => {
    if (req.url === '/app.js')
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<script type="module" src="/app.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Launch headless Chromium with a fresh, empty profile of playwright's. */
export function launchChromium(): Promise<Browser> {
  // No sandbox (root), no background networking (this machine has no outside network).
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 30_000,
  });
}
