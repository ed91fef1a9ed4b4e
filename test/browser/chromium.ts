import { existsSync } from 'node:fs';

/** Debian's chromium (`apt-get install -y chromium`); the tests never download a browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** True when a real browser is installed; otherwise the browser suites say why they do not run. */
export function hasChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  // eslint-disable-next-line no-console
  console.warn(`browser tests not run: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  return false;
}
