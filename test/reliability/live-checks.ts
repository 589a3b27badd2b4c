/** Small helpers the scenarios share for talking to a live gregord. */
import { TestClient } from '../integration/helpers/test-client.js';

/** A TCP client of gregord on 127.0.0.1:`port`, logged in with `token`. */
export async function loggedIn(port: number, token: string): Promise<TestClient> {
  const client = await TestClient.tcp(port);
  await client.login(token);
  return client;
}

/** `promise`, or a rejection naming `what` if it has not settled within `ms`. */
export async function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
