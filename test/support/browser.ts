/** Debian's Chromium driven by playwright-core (never a downloaded browser), per STYLE §10. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(__dirname, '..', 'e2e', 'artifacts');

export function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** Browser-side problems a test should fail on: page errors, console errors, HTTP 4xx/5xx. */
export function watchProblems(
  page: Page,
  opts: { allowStatus?: (status: number, path: string) => boolean } = {},
): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  page.on(
    'console',
    (msg) => msg.type() === 'error' && !msg.text().startsWith('Failed to load resource') && problems.push(msg.text()),
  );
  page.on('response', (res) => {
    const path = new URL(res.url()).pathname;
    if (res.status() >= 400 && !opts.allowStatus?.(res.status(), path)) problems.push(`HTTP ${res.status()} ${path}`);
  });
  return problems;
}

/**
 * A browser context signed in as `email`: the session comes from the real sign-in form post (so
 * it is a real session row), and is set as the auth cookie (STYLE §10).
 */
export async function signedInContext(
  browser: Browser,
  baseUrl: string,
  credentials: { email: string; password: string },
  viewport: { width: number; height: number },
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const res = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: baseUrl },
    body: new URLSearchParams(credentials).toString(),
    redirect: 'manual',
  });
  const token = /kliovo_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!token) throw new Error(`sign-in as ${credentials.email} failed: HTTP ${res.status}`);
  const context = await browser.newContext({ viewport });
  await context.addCookies([{ name: 'kliovo_session', value: token, url: baseUrl }]);
  const page = await context.newPage();
  return { context, page, problems: watchProblems(page) };
}

/** A screenshot of a key screen into test/e2e/artifacts/. */
export function screenshot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

/** Elements that reach past the viewport's right edge or were scrolled sideways (should be none). */
export function horizontalOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('body *')]
      .filter((el) => {
        const box = el.getBoundingClientRect();
        return (box.width > 0 && box.right > window.innerWidth + 1) || el.scrollLeft > 0;
      })
      .slice(0, 10)
      .map(
        (el) =>
          `${el.tagName.toLowerCase()}.${String(el.className)} right=${Math.round(el.getBoundingClientRect().right)}`,
      ),
  );
}

/**
 * Waits until the signed-in page is interactive: hydrated, with its live-update stream open (the
 * top bar's indicator says so). Buttons clicked before hydration would do nothing.
 */
export async function pageReady(page: Page): Promise<void> {
  await page.getByRole('img', { name: 'Live updates on' }).waitFor();
}
