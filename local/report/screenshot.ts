/**
 * Opens a run report in headless Chromium (Debian's `chromium` package, driven by playwright-core),
 * waits for the charts, fails on page errors, console errors, chart failures, dialogs (alert …) or any
 * request other than the file itself, saves a full-page PNG and returns how many marks each chart drew.
 */
import { accessSync, constants } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';

/** Where Debian (and Ubuntu) install Chromium; `CHROMIUM_PATH` overrides. */
export const CHROMIUM_PATHS = [
  '/usr/bin/chromium',
  '/usr/lib/chromium/chromium',
  '/usr/bin/chromium-browser',
];

export interface ReportCheck {
  /** Marks (bars) drawn per chart, by `data-chart` name. */
  marks: Record<string, number>;
  /** Charts that had no data to draw. */
  empty: string[];
  png: string;
  pngBytes: number;
}

export interface ScreenshotOptions {
  /** The Chromium binary (default: `CHROMIUM_PATH`, else the first of CHROMIUM_PATHS that exists). */
  executablePath?: string;
  /** A browser from `launchChromium` to reuse (it stays open); by default one is launched and closed. */
  browser?: Browser;
  /** How long to wait for the page and its charts (default 15 s). */
  timeoutMs?: number;
  /** Viewport width in CSS pixels (default 1280). */
  width?: number;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Chromium executable to drive, or an error saying how to install it. */
export function findChromium(explicit?: string): string {
  const wanted = explicit ?? process.env.CHROMIUM_PATH;
  if (wanted !== undefined && wanted !== '') {
    if (executable(wanted)) return wanted;
    throw new Error(`Chromium not found at ${wanted} (CHROMIUM_PATH or executablePath).`);
  }
  const found = CHROMIUM_PATHS.find(executable);
  if (found === undefined)
    throw new Error(
      `Chromium not found (looked for ${CHROMIUM_PATHS.join(', ')}). Install the Debian package \`chromium\` ` +
        '(apt-get update && apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium binary.',
    );
  return found;
}

/** Launches headless Chromium (no sandbox: it runs as root in containers and CI). */
export async function launchChromium(executablePath?: string, timeoutMs = 30_000): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium(executablePath),
    args: ['--no-sandbox'],
    timeout: timeoutMs,
  });
}

/** Renders `htmlPath` in headless Chromium, checks it and writes a full-page screenshot to `pngPath`. */
export async function screenshotReport(
  htmlPath: string,
  pngPath: string,
  options: ScreenshotOptions = {},
): Promise<ReportCheck> {
  const timeout = options.timeoutMs ?? 15_000;
  const url = pathToFileURL(resolve(htmlPath)).href;
  const problems: string[] = [];
  const browser = options.browser ?? (await launchChromium(options.executablePath));
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: 900 } });
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(timeout);
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    page.on('dialog', (dialog) => {
      problems.push(`dialog opened: ${dialog.type()} ${dialog.message()}`);
      dialog.dismiss().catch(() => {});
    });
    page.on('request', (request) => {
      if (request.url() !== url) problems.push(`unexpected request: ${request.url()}`);
    });
    const response = await page.goto(url, { waitUntil: 'load' });
    if (response !== null && !response.ok()) problems.push(`loading ${url}: HTTP ${response.status()}`);
    await page.waitForSelector('html[data-charts-ready="true"]', { state: 'attached' });
    const failed = await page.locator('html').getAttribute('data-chart-errors');
    if (failed !== null) problems.push(`charts failed: ${failed}`);

    const marks: Record<string, number> = {};
    const empty: string[] = [];
    for (const figure of await page.locator('figure[data-chart]').all()) {
      const name = (await figure.getAttribute('data-chart')) ?? '';
      marks[name] = await figure.locator('.mark').count();
      if ((await figure.getAttribute('data-empty')) === 'true') empty.push(name);
    }
    await mkdir(dirname(resolve(pngPath)), { recursive: true });
    await page.screenshot({ path: pngPath, fullPage: true });
    if (problems.length > 0)
      throw new Error(`The report ${htmlPath} did not render cleanly:\n- ${problems.join('\n- ')}`);
    return { marks, empty, png: pngPath, pngBytes: (await stat(pngPath)).size };
  } finally {
    await context.close();
    if (options.browser === undefined) await browser.close();
  }
}
