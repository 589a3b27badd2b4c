/**
 * The headless Chromium of the browser tests: Debian's /usr/bin/chromium (or
 * GREGOR_TEST_CHROMIUM) driven by playwright-core. Outside CI a machine without it skips the
 * browser tests with a line; under CI=true .ci/run installs it and a missing browser fails.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const CHROMIUM = process.env.GREGOR_TEST_CHROMIUM ?? '/usr/bin/chromium';
const isCI = process.env.CI === 'true' || process.env.CI === '1';

/** Why the browser tests skip here, or undefined when Chromium is installed. */
export const chromiumMissing = existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM}`;
if (chromiumMissing !== undefined && isCI) {
  throw new Error(`${chromiumMissing} (CI=true: .ci/run installs it)`);
}
if (chromiumMissing !== undefined) {
  console.log(`# SKIP ${chromiumMissing}; apt-get install chromium to run it`);
}

/** Start a headless Chromium with a fresh, empty profile of its own. */
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
