// The live tail: hydrated, a line appended to a watched file appears at the top of the table,
// narrowed by the query in the URL, and its script, markup and `javascript:` payloads stay text
// (no dialog, no injected element, no CSP violation); Pause holds new lines back until Resume.
// With JavaScript off the page says the tail needs it and links to the events browser.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { openPage, PROJECTS, USERS, useVigil } from '../harness.mjs';

const inbox = mkdtempSync(join(tmpdir(), 'vigil-e2e-inbox-'));
const ctx = useVigil({ VIGIL_WATCH_DIR: inbox, VIGIL_WATCH_PATTERNS: '*.log', VIGIL_WATCH_IDLE_FLUSH_MS: '200' });

const SHOTS = fileURLToPath(new URL('../../target/e2e-screenshots/', import.meta.url));
const FILE = join(inbox, 'app.log');

const HOSTILE = 'payload <script>alert(1)</script> <img src=x onerror=alert(1)> javascript:alert(1)';

function line(host, message) {
  const now = new Date();
  const stamp = now.toUTCString().slice(8, 11) + ' ' + String(now.getUTCDate()).padStart(2, ' ') + ' ' + now.toISOString().slice(11, 19);
  appendFileSync(FILE, `${stamp} ${host} app[42]: ${message}\n`);
}

async function screenshots(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  for (const width of [1280, 768]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${SHOTS}live-tail-${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

const messages = (page) => page.getByRole('table', { name: 'Live events' }).locator('td.message').allTextContents();

for (const project of PROJECTS) {
  describe(`live tail (${project.name})`, () => {
    if (!project.javaScriptEnabled) {
      test('without JavaScript the page says what to do instead', async () => {
        const { page, errors, close } = await openPage(ctx.browser, project, `${ctx.vigil.url}/events/live?q=host%3Atail-1`, USERS.admin);
        try {
          assert.match(await page.getByRole('status').textContent(), /streams with JavaScript/);
          assert.equal(await page.getByRole('link', { name: 'Open in the events browser' }).getAttribute('href'), '/events?q=host%3Atail-1&range=15m');
          await screenshots(page, project.name);
          assert.deepEqual(errors, []);
        } finally {
          await close();
        }
      });
      return;
    }

    test('a line appended to a watched file appears, as text, and pause holds lines back', async () => {
      mkdirSync(inbox, { recursive: true });
      line('tail-0', 'before the page opened');
      const { page, errors, close } = await openPage(ctx.browser, project, `${ctx.vigil.url}/events/live?q=host%3Atail-1`, USERS.admin);
      const dialogs = [];
      page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
      try {
        await page.addInitScript(() => {
          window.__violations = [];
          document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
        });
        await page.reload();
        await page.waitForFunction(() => document.body?.dataset.hydrated === 'true');
        await page.getByText('Live: new events appear at the top.').waitFor();
        line('tail-2', 'another host: filtered out');
        line('tail-1', HOSTILE);
        await page.getByRole('table', { name: 'Live events' }).getByText(HOSTILE).waitFor();
        assert.deepEqual(await messages(page), [HOSTILE]);

        await page.getByRole('button', { name: 'Pause' }).click();
        line('tail-1', 'while paused');
        await page.getByText('1 new events wait.').waitFor();
        assert.deepEqual(await messages(page), [HOSTILE]);
        await page.getByRole('button', { name: 'Resume' }).click();
        await page.getByRole('table', { name: 'Live events' }).getByText('while paused').waitFor();
        assert.deepEqual(await messages(page), ['while paused', HOSTILE]);

        const found = await page.evaluate(() => ({
          img: document.querySelectorAll('img[src="x"], img[onerror]').length,
          scripts: [...document.scripts].filter((s) => s.textContent.includes('alert(1)') && !s.nonce).length,
          jsLinks: [...document.querySelectorAll('a[href]')].filter((a) => /^\s*javascript:/i.test(a.getAttribute('href'))).length,
          violations: window.__violations,
        }));
        assert.deepEqual(found, { img: 0, scripts: 0, jsLinks: 0, violations: [] });
        assert.deepEqual(dialogs, []);
        await screenshots(page, project.name);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });
  });
}
