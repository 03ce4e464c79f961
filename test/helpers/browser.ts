import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-artifacts');

/** Debian's chromium (no browser downloads); under CI=true its absence fails instead of skipping (.ci/run installs it). */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is required under CI=true (apt-get install chromium)`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Without the background-networking flags Chromium keeps dialling Google's hosts on this closed network.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

const AXE_SOURCE = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules/axe-core/axe.min.js'), 'utf8');

/**
 * Puts axe-core on the page as `window.axe`. Evaluated through the DevTools protocol rather than added
 * as a script tag: the pages' CSP does not apply to it, and a script tag's load could be failed by an
 * unrelated CSP report on the page (the sandbox mailbox's frames refuse their emails' pixels).
 */
async function injectAxe(page: Page): Promise<void> {
  await page.evaluate(AXE_SOURCE);
}

export interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** axe-core's serious and critical violations on the page as it stands; lesser ones are not held against the pages. */
export async function seriousAxeFindings(page: Page): Promise<AxeFinding[]> {
  await injectAxe(page);
  const findings = await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe.run();
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  return findings.filter((f) => f.impact === 'serious' || f.impact === 'critical');
}

/** Signs in through the dashboard's form at `${url}/`; done when the overview is shown. */
export async function signInToDashboard(page: Page, url: string, key: string, secret: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('App key').fill(key);
  await page.getByLabel('App secret').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
}

/** Chromium reports what a page's CSP refuses only on the console: collects those reports from now on. */
export function cspViolationsOf(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  return violations;
}

/**
 * Chromium for the enclosing describe block; answers a function that opens a browser profile in it.
 * Each profile is closed after its test, so no page left open keeps refreshing (and loading) behind the
 * next one. Called after the block's own beforeAll, Chromium starts after it and closes before its afterAll.
 */
export function useChromium(): (options?: BrowserContextOptions) => Promise<BrowserContext> {
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
  });
  return async (options) => {
    const context = await browser.newContext(options);
    contexts.push(context);
    return context;
  };
}
