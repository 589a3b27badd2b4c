// The page server of the Chromium tests: one page whose module script is a page script bundled
// for a browser with esbuild, at / on a loopback port (the same origin for every tab).
import { createServer, type Server } from 'node:http';
import { build } from 'esbuild';

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
