// The events browser in both projects (JavaScript off, and hydrated): a search narrows the
// results, a syntax error is shown at its position, pages follow their cursor, a value click
// adds a filter, an event opens on its own page, and the CSV export downloads with formulas
// defused. Logged text carrying script, markup and `javascript:` payloads stays text: no
// dialog, no injected element, no link to a script, no CSP violation.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { openPage, PROJECTS, USERS, useVigil } from '../harness.mjs';

const ctx = useVigil();

const SHOTS = fileURLToPath(new URL('../../target/e2e-screenshots/', import.meta.url));

const XSS = {
  script: '<script>alert(1)</script>',
  img: '<img src=x onerror=alert(1)>',
  js: 'javascript:alert(1)',
};
const FORMULA = '=HYPERLINK("http://evil.example","click")';
const PAGER_EVENTS = 60;

async function adminToken() {
  const res = await fetch(`${ctx.vigil.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(USERS.admin),
  });
  assert.equal(res.status, 200);
  return (await res.json()).access_token;
}

async function ingest(token, events) {
  const res = await fetch(`${ctx.vigil.url}/api/v1/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${token}` },
    body: events.map((e) => JSON.stringify(e)).join('\n'),
  });
  const answer = await res.json();
  assert.equal(res.status, 200, JSON.stringify(answer));
  assert.equal(answer.accepted, events.length, JSON.stringify(answer));
}

/** Sends the test events once, on the first test's first call. */
let seeded;
function seed() {
  seeded ??= sendEvents();
  return seeded;
}

async function sendEvents() {
  const token = await adminToken();
  const events = [];
  for (const project of PROJECTS) {
    for (let i = 0; i < PAGER_EVENTS; i += 1) events.push({ message: `page event ${i}`, host: `pager-${project.name}` });
  }
  events.push(
    { message: 'Failed password for alice', host: 'web-1', action: 'ssh_login', outcome: 'failure', user: 'alice', source_ip: '198.51.100.7', level: 'warning' },
    { message: 'Failed password for alice', host: 'web-1', action: 'ssh_login', outcome: 'failure', user: 'alice', source_ip: '198.51.100.7', level: 'warning' },
    { message: 'Failed password for alice', host: 'web-2', action: 'ssh_login', outcome: 'failure', user: 'alice', source_ip: '198.51.100.8', level: 'warning' },
    { message: 'Accepted password for bob', host: 'web-2', action: 'ssh_login', outcome: 'success', user: 'bob', source_ip: '192.0.2.10', level: 'info' },
    { message: XSS.script, host: XSS.img, action: 'xss-probe', user: XSS.js, source_ip: '203.0.113.66', level: 'error', note: XSS.img },
    { message: FORMULA, host: 'sheet', action: 'formula-probe', user: '@admin' },
  );
  await ingest(token, events);
}

/** Rows of the results table, as the text of each cell. */
async function rows(page) {
  return page.getByRole('table', { name: 'Events' }).locator('tbody tr').evaluateAll(
    (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())),
  );
}

/** Column positions in the results table. */
const COL = { host: 1, source: 2, level: 3, action: 4, outcome: 5, ip: 6, user: 7, message: 8 };

/** Everything that would show a payload took effect. */
async function assertInert(page, dialogs) {
  const found = await page.evaluate(() => ({
    img: document.querySelectorAll('img[src="x"], img[onerror]').length,
    // The hydration data carries the payload as escaped JSON inside Vigil's own script, which
    // holds the page's nonce; a script the payload made would not.
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
    await page.screenshot({ path: `${SHOTS}events-${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function search(page, query) {
  await page.getByLabel('Query').fill(query);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/events' && u.searchParams.get('q') === query),
    page.getByRole('button', { name: 'Search' }).click(),
  ]);
  await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
}

for (const project of PROJECTS) {
  describe(`events browser (${project.name})`, () => {
    const open = async (path) => {
      await seed();
      const opened = await openPage(ctx.browser, project, `${ctx.vigil.url}${path}`, USERS.admin);
      const dialogs = [];
      opened.page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
      return { ...opened, dialogs };
    };

    test('a search narrows the results and a value click adds a filter', async () => {
      const { page, errors, dialogs, close } = await open('/events');
      try {
        const all = await rows(page);
        assert.equal(all.length, 50, 'a full first page');
        await search(page, 'event_action:ssh_login');
        let found = await rows(page);
        assert.equal(found.length, 4);
        assert.ok(found.every((r) => r[COL.action] === 'ssh_login'), JSON.stringify(found));
        // Facets count the four matches.
        const outcomes = page.getByRole('region', { name: 'event outcome values' });
        assert.match(await outcomes.textContent(), /failure\s*3/);
        // A click on a user adds `user_name:"alice"` to the query.
        const table = page.getByRole('table', { name: 'Events' });
        await Promise.all([
          page.waitForURL((u) => (u.searchParams.get('q') ?? '').includes('user_name:"alice"')),
          table.getByRole('link', { name: 'alice', exact: true }).first().click(),
        ]);
        await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Events"] tbody tr').length === 3);
        found = await rows(page);
        assert.ok(found.every((r) => r[COL.user] === 'alice'), JSON.stringify(found));
        assert.equal(new URL(page.url()).searchParams.get('q'), 'event_action:ssh_login AND user_name:"alice"');
        // A facet value narrows the same way.
        await Promise.all([
          page.waitForURL((u) => (u.searchParams.get('q') ?? '').includes('host:"web-2"')),
          page.getByRole('region', { name: 'host values' }).getByRole('link', { name: 'web-2' }).click(),
        ]);
        await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Events"] tbody tr').length === 1);
        await screenshots(page, `search-${project.name}`);
        await assertInert(page, dialogs);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    test('a syntax error is shown at its position', async () => {
      const { page, errors, close } = await open('/events');
      try {
        await search(page, 'host:a AND (b');
        const alert = page.getByRole('alert');
        assert.match(await alert.textContent(), /syntax error at character 12: unclosed '\('/);
        const caret = await page.locator('.query-caret .caret').textContent();
        assert.equal(caret, `${' '.repeat(11)}^`, 'the caret stands under the parenthesis');
        assert.equal(await page.getByRole('table', { name: 'Events' }).count(), 0);
        await screenshots(page, `error-${project.name}`);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    test('pages follow their cursor and stay put while events arrive', async () => {
      const { page, errors, close } = await open(`/events?q=host%3Apager-${project.name}`);
      try {
        const first = await rows(page);
        assert.equal(first.length, 50);
        assert.equal(first[0][COL.message], `page event ${PAGER_EVENTS - 1}`, 'newest first');
        await Promise.all([
          page.waitForURL((u) => u.searchParams.has('cursor')),
          page.getByRole('link', { name: 'Older' }).click(),
        ]);
        await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Events"] tbody tr').length === 10);
        const second = await rows(page);
        assert.deepEqual(second.map((r) => r[COL.message]), Array.from({ length: 10 }, (_, i) => `page event ${9 - i}`));
        assert.equal(await page.getByRole('link', { name: 'Older' }).count(), 0, 'the last page');
        // A new event does not move this page.
        await ingest(await adminToken(), [{ message: 'late pager event', host: `pager-${project.name}` }]);
        await page.reload();
        assert.deepEqual(await rows(page), second);
        await Promise.all([
          page.waitForURL((u) => u.searchParams.has('before')),
          page.getByRole('link', { name: 'Newer' }).click(),
        ]);
        await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Events"] tbody tr').length === 50);
        assert.deepEqual(await rows(page), first, 'back to the page before');
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    test('hostile log content stays text in the results and on the event page', async () => {
      const { page, errors, dialogs, close } = await open('/events?q=event_action%3Axss-probe&range=all');
      try {
        const [row] = await rows(page);
        assert.equal(row[COL.message], XSS.script);
        assert.equal(row[COL.host], XSS.img);
        assert.equal(row[COL.user], XSS.js);
        await assertInert(page, dialogs);
        // The user value is a link to a search, never to the payload.
        const link = page.getByRole('table', { name: 'Events' }).getByRole('link', { name: XSS.js });
        assert.match(await link.getAttribute('href'), /^\/events\?q=event_action%3Axss-probe%20AND%20user_name%3A%22javascript%3Aalert%281%29%22/);
        await screenshots(page, `hostile-${project.name}`);
        // The event page shows the raw line, parsed and JSON fields, flags and related alerts.
        await Promise.all([
          page.waitForURL((u) => /^\/events\/\d+$/.test(u.pathname)),
          page.getByRole('table', { name: 'Events' }).getByRole('link', { name: /^\d{4}-\d\d-\d\d / }).click(),
        ]);
        await page.getByRole('heading', { level: 1, name: /^Event \d+$/ }).waitFor();
        const raw = await page.locator('.raw-line').textContent();
        assert.ok(raw.includes(XSS.script) && raw.includes('javascript:alert(1)'), raw);
        const parsed = page.getByRole('table', { name: 'Parsed fields' });
        assert.equal(await parsed.getByRole('link', { name: XSS.img }).count(), 1);
        const json = page.getByRole('table', { name: 'JSON fields' });
        assert.match(await json.textContent(), /note<img src=x onerror=alert\(1\)>/);
        assert.match(await page.locator('.flags').textContent(), /none/);
        assert.match(await page.getByRole('region', { name: 'Related alerts' }).textContent(), /No alert names this event/);
        await assertInert(page, dialogs);
        await screenshots(page, `detail-${project.name}`);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    test('the export downloads the search as CSV with formulas defused', async () => {
      const { page, errors, close } = await open('/events?q=event_action%3Aformula-probe%20OR%20event_action%3Axss-probe');
      try {
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByRole('link', { name: 'Export CSV' }).click(),
        ]);
        const text = readFileSync(await download.path(), 'utf8');
        const lines = text.split('\r\n');
        assert.match(lines[0], /^id,timestamp,received_at,host,source,/);
        assert.equal(lines.length, 4, text);
        assert.ok(lines[1].includes('"\'=HYPERLINK(""http://evil.example"",""click"")"'), lines[1]);
        assert.ok(lines[1].includes(',"\'@admin",'), lines[1]);
        assert.ok(lines[2].includes(`,${XSS.script},`), lines[2]);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });
  });
}
