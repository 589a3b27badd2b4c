/**
 * What serve.ts and backend.ts share: the demo user, the data directory, and session tokens signed
 * with gregord's token secret. An application's back end does the same with its own users: it
 * holds the secret gregord checks tokens with, and mints a token for whoever signed in.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { server } from 'gregor-server';

/** The one user of the demo. */
export const DEMO_UID = '0123456789abcdef0123456789abcdef';

/** The demo's data directory (git-ignored): gregord's SQLite file, token secret and serve.json. */
export const DEFAULT_DATA_DIR = new URL('../../.tmp/inbox/', import.meta.url).pathname;

/** What serve.ts writes into the data directory for backend.ts: where gregord listens. */
export interface ServeInfo {
  /** gregord's WebSocket endpoint. */
  readonly url: string;
  /** The page. */
  readonly page: string;
}

const SERVE_INFO = 'serve.json';

export async function writeServeInfo(dataDir: string, info: ServeInfo): Promise<void> {
  await writeFile(join(dataDir, SERVE_INFO), `${JSON.stringify(info, null, 2)}\n`);
}

export async function readServeInfo(dataDir: string): Promise<ServeInfo> {
  try {
    return JSON.parse(await readFile(join(dataDir, SERVE_INFO), 'utf8')) as ServeInfo;
  } catch (err) {
    throw new Error(
      `no ${SERVE_INFO} in ${dataDir}: start the page first (npm run example:inbox) or give --url`,
      { cause: err },
    );
  }
}

/**
 * gregord's token secret, found as gregord finds it: GREGOR_TOKEN_SECRET, else the file gregord
 * generated in its data directory.
 */
export async function tokenSecret(dataDir: string): Promise<string> {
  const fromEnv = process.env.GREGOR_TOKEN_SECRET;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return (await server.readTokenSecretFile(join(dataDir, 'token-secret'))).secret;
}

/** A session token for `uid`, valid for an hour (the page asks for a new one at each login). */
export function mintSessionToken(uid: string, secret: string): string {
  return server.mintToken({ uid, ttlMs: 60 * 60 * 1000 }, secret);
}
