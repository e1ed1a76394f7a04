// Debian's Chromium (/usr/bin/chromium, installed by .ci/run) driven by playwright-core: never a downloaded browser.
// Each launch gets a fresh profile folder, removed on close.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile; `locale` sets the Accept-Language it sends. */
export async function launchBrowser(opts: { locale?: string; ignoreHTTPSErrors?: boolean } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`);
  const profile = mkdtempSync(join(tmpdir(), 'gate-chromium-'));
  // playwright passes the profile as --user-data-dir itself (launchPersistentContext); a fresh folder each time.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    locale: opts.locale ?? 'en-GB',
    viewport: { width: 1024, height: 600 }, // a 7-inch tablet held sideways
    ignoreHTTPSErrors: opts.ignoreHTTPSErrors ?? false,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The console's address from the gate's log line "console listening". */
export function consoleUrlFromLog(log: string): string | null {
  for (const line of log.split('\n')) {
    if (!line.includes('"msg":"console listening"')) continue;
    try {
      return (JSON.parse(line) as { url: string }).url;
    } catch {
      return null;
    }
  }
  return null;
}
