#!/usr/bin/env node
// Accessibility audit of one built handout page with axe-core, in Debian's headless Chromium.
//
//   node tests/axe/audit.mjs output/NAME.html
//
// Opens the file (file:// URL) at a phone width and at a desktop width, runs axe-core with the
// WCAG 2.0/2.1 A and AA rules plus axe's best practices, and prints one JSON object on stdout:
//
//   {"violations": [{"id", "impact", "help", "helpUrl",
//                    "nodes": [{"target": [...], "html": "...", "viewports": ["phone", ...]}]}],
//    "incomplete": [{"id", "help", "nodes": N}], "axeVersion", "url", "viewports"}
//
// "violations" merges both widths: a rule appears once, each of its elements once, with the
// viewports it failed at. "incomplete" lists what axe could not decide by itself (informational).
//
// Exit status: 0 when the audit ran, whatever it found; 2 with a one-line message on stderr when
// it could not run (bad argument, missing file, no node_modules, no Chromium, axe failed).
//
// Needs `npm ci` in tests/axe (axe-core, playwright-core) and Debian's chromium package. It never
// downloads a browser: playwright-core is pointed at /usr/bin/chromium (or $CHROMIUM_PATH).

import { createRequire } from 'node:module';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// We run as root on a machine with no network but the package registries.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const VIEWPORTS = [
  { name: 'phone', options: { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true } },
  { name: 'desktop', options: { viewport: { width: 1280, height: 800 } } },
];
const RULE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const TIMEOUT_MS = Number(process.env.AXE_AUDIT_TIMEOUT_MS || 120000);

let browser = null;

async function fail(message) {
  // One line only, even for Playwright's multi-line errors ("Call log: ...").
  const line = String(message).split('\n').map((s) => s.trim()).find(Boolean) || 'unknown error';
  process.stderr.write(`audit.mjs: ${line}\n`);
  if (browser) await browser.close().catch(() => {});
  process.exit(2);
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length !== 1 || args[0].startsWith('-')) {
    return fail('usage: node tests/axe/audit.mjs FILE.html');
  }
  const file = resolve(args[0]);
  if (!existsSync(file) || !statSync(file).isFile()) return fail(`no such file: ${file}`);
  if (!existsSync(CHROMIUM)) {
    return fail(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  }

  const require = createRequire(import.meta.url);
  let axeSource, axeVersion, chromium;
  try {
    const axePath = require.resolve('axe-core/axe.min.js');
    axeSource = readFileSync(axePath, 'utf8');
    axeVersion = require('axe-core/package.json').version;
    ({ chromium } = require('playwright-core'));
  } catch (err) {
    return fail(`cannot load axe-core/playwright-core (run "npm ci" in tests/axe): ${err.message}`);
  }

  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      chromiumSandbox: false,
      args: CHROMIUM_ARGS,
      timeout: 60000,
    });
  } catch (err) {
    return fail(`cannot start ${CHROMIUM}: ${err.message}`);
  }

  const url = pathToFileURL(file).href;
  const violations = new Map(); // rule id -> {id, impact, help, helpUrl, nodes: Map(key -> node)}
  const incomplete = new Map(); // rule id -> {id, help, nodes: count at the widest}
  const blocked = new Set();

  for (const { name, options } of VIEWPORTS) {
    const context = await browser.newContext({ ...options, bypassCSP: true, serviceWorkers: 'block' });
    // A handout must stand alone: anything it would fetch from the network is refused, not
    // waited for (the machine is offline anyway), and reported on stderr.
    await context.route(/^(?!file:|data:|blob:|about:)/, (route) => {
      blocked.add(route.request().url());
      return route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    let result;
    try {
      await page.goto(url, { waitUntil: 'load', timeout: 60000 });
      await page.evaluate(() => document.fonts.ready.then(() => undefined));
      await page.addScriptTag({ content: axeSource });
      result = await page.evaluate(async (values) => {
        // eslint-disable-next-line no-undef
        const r = await axe.run(document, { runOnly: { type: 'tag', values }, resultTypes: ['violations', 'incomplete'] });
        const slim = (list) => list.map((v) => ({
          id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
          nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })),
        }));
        return { violations: slim(r.violations), incomplete: slim(r.incomplete) };
      }, RULE_TAGS);
    } catch (err) {
      return fail(`axe did not run on ${url} at ${name} width: ${err.message}`);
    } finally {
      await context.close().catch(() => {});
    }

    for (const v of result.violations) {
      if (!violations.has(v.id)) {
        violations.set(v.id, { id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, nodes: new Map() });
      }
      const merged = violations.get(v.id);
      for (const n of v.nodes) {
        const key = JSON.stringify(n.target);
        if (!merged.nodes.has(key)) merged.nodes.set(key, { ...n, viewports: [] });
        merged.nodes.get(key).viewports.push(name);
      }
    }
    for (const v of result.incomplete) {
      const prev = incomplete.get(v.id);
      incomplete.set(v.id, { id: v.id, help: v.help, nodes: Math.max(prev ? prev.nodes : 0, v.nodes.length) });
    }
  }
  await browser.close();
  browser = null;

  if (blocked.size) {
    process.stderr.write(`audit.mjs: warning: refused ${blocked.size} network request(s), e.g. ${[...blocked][0]}\n`);
  }
  const byId = (a, b) => a.id.localeCompare(b.id);
  const report = {
    url,
    axeVersion,
    viewports: VIEWPORTS.map(({ name, options }) => ({ name, width: options.viewport.width, height: options.viewport.height })),
    violations: [...violations.values()].sort(byId).map((v) => ({ ...v, nodes: [...v.nodes.values()] })),
    incomplete: [...incomplete.values()].sort(byId),
  };
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
}

const watchdog = setTimeout(() => fail(`timed out after ${TIMEOUT_MS} ms`), TIMEOUT_MS);
main().then(
  () => { clearTimeout(watchdog); },
  (err) => fail(err && err.message ? err.message : err),
);
