/** Logging in to a live gregord, as every scenario does. */
import { TestClient } from '../integration/helpers/test-client.js';

/** A TCP client of gregord on 127.0.0.1:`port`, logged in with `token`. */
export async function loggedIn(port: number, token: string): Promise<TestClient> {
  const client = await TestClient.tcp(port);
  await client.login(token);
  return client;
}
