// The dashboard in both projects (JavaScript off, and hydrated): its cards and top lists show
// the figures of the events just sent, a top value opens the events browser narrowed to it over
// the same range, the range picker keeps the range in the URL, and logged text carrying script,
// markup and `javascript:` payloads stays text: no dialog, no injected element, no CSP
// violation. Screenshots at 1280 and 768 px go to target/e2e-screenshots/.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { openPage, PROJECTS, USERS, useVigil } from '../harness.mjs';

const ctx = useVigil();

const SHOTS = fileURLToPath(new URL('../../target/e2e-screenshots/', import.meta.url));

const XSS = {
  script: '<script>alert(1)</script>',
  img: '<img src=x onerror=alert(1)>',
  js: 'javascript:alert(1)',
};

async function adminToken() {
  const res = await fetch(`${ctx.vigil.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(USERS.admin),
  });
  assert.equal(res.status, 200);
  return (await res.json()).access_token;
}

let seeded;
function seed() {
  seeded ??= (async () => {
    const token = await adminToken();
    const events = [
      { message: 'Failed password for alice', host: 'web-1', action: 'ssh_login', outcome: 'failure', user: 'alice', source_ip: '198.51.100.7', level: 'warning' },
      { message: 'Failed password for alice', host: 'web-1', action: 'ssh_login', outcome: 'failure', user: 'alice', source_ip: '198.51.100.7', level: 'warning' },
      { message: 'Failed password for root', host: 'web-2', action: 'ssh_login', outcome: 'failure', user: 'root', source_ip: '203.0.113.5', level: 'warning' },
      { message: 'Accepted password for bob', host: 'web-2', action: 'ssh_login', outcome: 'success', user: 'bob', source_ip: '192.0.2.10', level: 'info' },
      { message: XSS.script, host: XSS.img, action: XSS.script, user: XSS.js, level: 'error' },
      { message: 'disk full', host: 'db-1', action: XSS.js, level: 'error' },
    ];
    const res = await fetch(`${ctx.vigil.url}/api/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${token}` },
      body: events.map((e) => JSON.stringify(e)).join('\n'),
    });
    const answer = await res.json();
    assert.equal(res.status, 200, JSON.stringify(answer));
    assert.equal(answer.accepted, events.length);
  })();
  return seeded;
}

/** Everything that would show a payload took effect. */
async function assertInert(page, dialogs) {
  const found = await page.evaluate(() => ({
    img: document.querySelectorAll('img[src="x"], img[onerror]').length,
    scripts: [...document.scripts].filter((s) => s.textContent.includes('alert(1)') && !s.nonce).length,
    jsLinks: [...document.querySelectorAll('a[href]')].filter((a) => /^\s*javascript:/i.test(a.getAttribute('href'))).length,
    foreignLinks: [...document.querySelectorAll('a[href]')].filter((a) => !a.getAttribute('href').startsWith('/') && !a.getAttribute('href').startsWith('#')).length,
  }));
  assert.deepEqual(found, { img: 0, scripts: 0, jsLinks: 0, foreignLinks: 0 });
  assert.deepEqual(dialogs, []);
}

async function screenshots(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  for (const width of [1280, 768]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${SHOTS}dashboard-${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** The value of the card labelled `label`. */
async function card(page, label) {
  return (await page.getByRole('region', { name: label, exact: true }).locator('.stat-value').textContent()).trim();
}

/** Rows of the top list headed `title`: [value, count]. */
async function top(page, title) {
  return page.getByRole('region', { name: title }).locator('tbody tr').evaluateAll(
    (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent.trim())),
  );
}

for (const project of PROJECTS) {
  describe(`dashboard (${project.name})`, () => {
    const open = async (path) => {
      await seed();
      const opened = await openPage(ctx.browser, project, `${ctx.vigil.url}${path}`, USERS.admin);
      const dialogs = [];
      opened.page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
      return { ...opened, dialogs };
    };

    test('cards and top lists show the figures of the range', async () => {
      const { page, errors, dialogs, close } = await open('/?range=1h');
      try {
        // Six events were sent; signing in stored audit events besides.
        assert.ok(Number(await card(page, 'Events in range')) >= 6);
        assert.equal(await card(page, 'Failed logins'), '3');
        assert.ok(Number(await card(page, 'Active sources')) >= 1);
        assert.equal(await card(page, 'Open alerts'), '0');
        // Sign-ins are audited with the browser's address, 127.0.0.1: leave them out.
        const sources = (await top(page, 'Top source addresses')).filter(([v]) => v !== '127.0.0.1');
        assert.deepEqual(sources, [['198.51.100.7', '2'], ['192.0.2.10', '1'], ['203.0.113.5', '1']]);
        const actions = await top(page, 'Top event actions');
        assert.ok(actions.some(([v, n]) => v === 'ssh_login' && n === '4'), JSON.stringify(actions));
        assert.ok(actions.some(([v]) => v === XSS.script), JSON.stringify(actions));
        assert.ok(actions.some(([v]) => v === XSS.js), JSON.stringify(actions));
        // Every figure is drawn on the server: the charts are there with JavaScript off too.
        assert.equal(await page.locator('svg.stacked-chart').count(), 2, 'events and logins (no alerts)');
        assert.match(await page.getByRole('region', { name: 'Alerts over time by severity' }).textContent(), /No alerts were raised/);
        await screenshots(page, project.name);
        await assertInert(page, dialogs);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    test('a top value opens the events browser narrowed to it', async () => {
      const { page, errors, close } = await open('/?range=1h');
      try {
        await Promise.all([
          page.waitForURL((u) => u.pathname === '/events' && (u.searchParams.get('q') ?? '') === 'source_ip:"198.51.100.7"'),
          page.getByRole('region', { name: 'Top source addresses' }).getByRole('link', { name: '198.51.100.7' }).click(),
        ]);
        const url = new URL(page.url());
        assert.ok(url.searchParams.get('from') && url.searchParams.get('to'), page.url());
        await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Events"] tbody tr').length === 2);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    test('the range picker keeps the range in the URL and refuses nonsense plainly', async () => {
      const { page, errors, close } = await open('/?range=1h');
      try {
        await Promise.all([
          page.waitForURL((u) => u.searchParams.get('range') === '15m'),
          page.getByRole('navigation', { name: 'Time range' }).getByRole('link', { name: '15 minutes' }).click(),
        ]);
        await page.waitForFunction(() => document.querySelector('a[aria-current="page"].range-link')?.textContent === '15 minutes');
        assert.equal(await card(page, 'Failed logins'), '3');
        await page.goto(`${ctx.vigil.url}/?range=1y`);
        assert.match(await page.getByRole('alert').textContent(), /"1y" is not one of 15m, 1h, 24h, 7d/);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    if (project.javaScriptEnabled) {
      test('the hydrated dashboard raises no CSP violation', async () => {
        const { page, errors, dialogs, close } = await open('/?range=1h');
        try {
          await page.addInitScript(() => {
            window.__violations = [];
            document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
          });
          await page.reload();
          await page.waitForFunction(() => document.body?.dataset.hydrated === 'true');
          await page.getByRole('region', { name: 'Top event actions' }).waitFor();
          assert.deepEqual(await page.evaluate(() => window.__violations), []);
          await assertInert(page, dialogs);
          assert.deepEqual(errors, []);
        } finally {
          await close();
        }
      });
    }
  });
}
