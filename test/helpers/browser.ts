/**
 * A real browser for the console's tests: Debian's chromium (`apt-get install chromium`; .ci/run installs it)
 * driven by playwright-core, which downloads nothing. Screenshots go to .tmp/console-screenshots/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';

const CANDIDATES = [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export const CHROMIUM = CANDIDATES.find((path): path is string => path !== undefined && existsSync(path)) ?? null;

export const SCREENSHOTS = join(process.cwd(), '.tmp', 'console-screenshots');

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  // As root (CI containers) chromium refuses to start with its sandbox.
  return chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
