// Alert triage in both projects (JavaScript off, and hydrated). A line written during the test
// raises an alert that shows up in the list: hydrated without a reload (from the alert
// stream), with JavaScript off after one. An alert is acknowledged, assigned, commented and
// resolved, and its history says so; several are resolved at once; the evidence opens in the
// events browser. Logged text carrying markup stays text. The keyboard triages on the
// hydrated page. A viewer sees no triage controls and is refused with 403 when posting anyway.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { openPage, PROJECTS, USERS, useVigil } from '../harness.mjs';

const ctx = useVigil();

const SHOTS = fileURLToPath(new URL('../../target/e2e-screenshots/', import.meta.url));
const XSS = '<img src=x onerror=alert(1)><script>alert(1)</script>';

let token;
let ruleId;

async function api(method, path, body) {
  const res = await fetch(`${ctx.vigil.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Signs in through the API and creates the probe rule, once, on first use. */
let prepared;
function prepare() {
  prepared ??= createProbeRule();
  return prepared;
}

async function createProbeRule() {
  const login = await fetch(`${ctx.vigil.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(USERS.admin),
  });
  token = (await login.json()).access_token;
  const rule = await api('POST', '/api/v1/rules', {
    name: 'Triage probe',
    kind: 'match',
    severity: 'high',
    definition: { query: 'event_action:triage-probe', group_by: ['host'], title: 'Probe on {host}' },
    tags: ['attack.t1110'],
  });
  assert.equal(rule.status, 201, JSON.stringify(rule.body));
  ruleId = rule.body.id;
}

/**
 * Writes probe lines for `host` until the rule has raised its alert (a new rule applies to
 * batches stored a second or so after it was saved), and returns the alert.
 */
async function raiseAlert(host) {
  await prepare();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`${ctx.vigil.url}/api/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ message: `probe from ${host} ${XSS}`, host, action: 'triage-probe', user: XSS }),
    });
    assert.equal(res.status, 200);
    const found = await api('GET', `/api/v1/alerts?rule=${ruleId}&group_key=${encodeURIComponent(`host=${host}`)}`);
    if (found.body.items.length > 0) return found.body.items[0];
    if (Date.now() > deadline) throw new Error(`no alert for ${host} within 30 s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function screenshots(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  for (const width of [1280, 768]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${SHOTS}alerts-${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function assertInert(page, dialogs) {
  const found = await page.evaluate(() => ({
    img: document.querySelectorAll('img[src="x"], img[onerror]').length,
    scripts: [...document.scripts].filter((s) => s.textContent.includes('alert(1)') && !s.nonce).length,
  }));
  assert.deepEqual(found, { img: 0, scripts: 0 });
  assert.deepEqual(dialogs, []);
}

/** Submits by clicking `button`, then waits for the notice that contains `text`. */
async function post(page, button, text) {
  await button.click();
  await page.getByRole('status').filter({ hasText: text }).waitFor();
}

/** Marks the document, to tell later whether the page was loaded again. */
async function mark(page) {
  await page.evaluate(() => { window.__vigilMark = 'same page'; });
}

async function marked(page) {
  return page.evaluate(() => window.__vigilMark === 'same page');
}

for (const project of PROJECTS) {
  describe(`alerts (${project.name})`, () => {
    const open = async (path, user = USERS.admin) => {
      const opened = await openPage(ctx.browser, project, `${ctx.vigil.url}${path}`, user);
      const dialogs = [];
      opened.page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
      return { ...opened, dialogs };
    };

    test('an alert raised during the test appears in the list', async () => {
      await prepare();
      const host = `live-${project.name}`;
      const { page, errors, dialogs, close } = await open('/alerts');
      try {
        await page.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor();
        await mark(page);
        const alert = await raiseAlert(host);
        const table = page.getByRole('table', { name: 'Alerts' });
        if (project.javaScriptEnabled) {
          // No reload: the alert stream brings it.
          await table.getByRole('link', { name: `Probe on ${host}` }).waitFor();
          assert.equal(await marked(page), true, 'the page was not loaded again');
          await page.getByLabel('Keyboard shortcuts').waitFor();
        } else {
          await page.reload();
          await table.getByRole('link', { name: `Probe on ${host}` }).waitFor();
          assert.equal(await page.getByLabel('Keyboard shortcuts').count(), 0, 'no shortcuts without JavaScript');
        }
        const row = table.getByRole('row').filter({ hasText: `Probe on ${host}` });
        assert.match(await row.textContent(), /high/);
        assert.match(await row.textContent(), /open/);
        const tabs = page.getByRole('navigation', { name: 'Alerts by status' });
        assert.match(await tabs.getByRole('link', { name: /^Open/ }).textContent(), /\d+/);
        // The filters narrow the list and live in the URL.
        const filters = page.getByRole('search', { name: 'Filter alerts' });
        await filters.getByLabel('Text').fill(host);
        await filters.getByLabel('Severity').selectOption('high');
        await Promise.all([
          page.waitForURL((u) => u.searchParams.get('q') === host && u.searchParams.get('severity') === 'high'),
          filters.getByRole('button', { name: 'Filter' }).click(),
        ]);
        await table.getByRole('link', { name: `Probe on ${host}` }).waitFor();
        assert.equal(await table.locator('tbody tr').count(), 1);
        assert.equal(alert.severity, 'high');
        await screenshots(page, `list-${project.name}`);
        await assertInert(page, dialogs);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    test('triage an alert: acknowledge, assign, comment, resolve, and see the history', async () => {
      const host = `triage-${project.name}`;
      const alert = await raiseAlert(host);
      const { page, errors, dialogs, close } = await open(`/alerts/${alert.id}`);
      try {
        await page.getByRole('heading', { level: 1, name: `Probe on ${host}` }).waitFor();
        await mark(page);
        await post(page, page.getByRole('form', { name: 'Status' }).getByRole('button', { name: 'Acknowledge' }), `Alert ${alert.id} acknowledged.`);
        await post(page, page.getByRole('form', { name: 'Assignment' }).getByRole('button', { name: 'Assign to me' }), `Alert ${alert.id} assigned to admin.`);
        const comment = page.getByRole('form', { name: 'Comment' });
        await comment.getByLabel('Comment').fill(`looked at it ${XSS}`);
        await post(page, comment.getByRole('button', { name: 'Add comment' }), `Comment added to alert ${alert.id}.`);
        await post(page, page.getByRole('form', { name: 'Status' }).getByRole('button', { name: 'Resolve' }), `Alert ${alert.id} resolved.`);
        // Reloaded or not, the page shows the new state.
        assert.equal(await marked(page), project.javaScriptEnabled);
        const history = page.getByRole('list', { name: 'History' });
        for (const line of [
          'Raised by detection',
          'Status open → acknowledged by admin',
          'Assigned to admin by admin',
          'Commented by admin',
          'Status acknowledged → resolved by admin',
        ]) {
          await history.getByText(line).waitFor();
        }
        const comments = page.getByRole('list', { name: 'Comments' });
        assert.match(await comments.textContent(), /looked at it <img src=x onerror=alert\(1\)><script>alert\(1\)<\/script>/);
        const stored = await api('GET', `/api/v1/alerts/${alert.id}`);
        assert.equal(stored.body.status, 'resolved');
        assert.equal(stored.body.assignee, 'admin');
        await screenshots(page, `detail-${project.name}`);
        await assertInert(page, dialogs);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    test('several alerts are resolved at once', async () => {
      const hosts = [1, 2, 3].map((n) => `bulk-${project.name}-${n}`);
      const alerts = [];
      for (const host of hosts) alerts.push(await raiseAlert(host));
      const { page, errors, close } = await open(`/alerts?q=bulk-${project.name}`);
      try {
        const form = page.getByRole('form', { name: 'Bulk triage' });
        for (const a of alerts) await form.getByRole('checkbox', { name: `Select alert ${a.id}` }).check();
        await post(page, form.getByRole('button', { name: 'Resolve' }), '3 alerts resolved.');
        for (const a of alerts) {
          const stored = await api('GET', `/api/v1/alerts/${a.id}`);
          assert.equal(stored.body.status, 'resolved', `alert ${a.id}`);
        }
        const table = page.getByRole('table', { name: 'Alerts' });
        await page.waitForFunction(() => [...document.querySelectorAll('table[aria-label="Alerts"] tbody tr')]
          .every((tr) => tr.textContent.includes('resolved')));
        assert.equal(await table.locator('tbody tr').count(), 3);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    test('the evidence opens in the events browser', async () => {
      const host = `evidence-${project.name}`;
      const alert = await raiseAlert(host);
      const { page, errors, dialogs, close } = await open(`/alerts/${alert.id}`);
      try {
        const evidence = page.getByRole('table', { name: 'Evidence events' });
        assert.match(await evidence.textContent(), /probe from evidence-\w+ <img src=x onerror=alert\(1\)><script>alert\(1\)<\/script>/);
        await assertInert(page, dialogs);
        await Promise.all([
          page.waitForURL((u) => /^\/events\/\d+$/.test(u.pathname)),
          evidence.getByRole('link').first().click(),
        ]);
        await page.getByRole('heading', { level: 1, name: /^Event \d+$/ }).waitFor();
        assert.match(await page.getByRole('region', { name: 'Related alerts' }).textContent(), new RegExp(`Probe on ${host}`));
        await page.goBack();
        await Promise.all([
          page.waitForURL((u) => u.pathname === '/events' && u.searchParams.get('q') === `host:"${host}"`),
          page.getByRole('link', { name: 'Search them in the events browser' }).click(),
        ]);
        const results = page.getByRole('table', { name: 'Events' });
        await results.locator('tbody tr').first().waitFor();
        assert.match(await results.textContent(), new RegExp(`probe from ${host}`));
        await assertInert(page, dialogs);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    test('a viewer sees no triage controls and is refused when posting anyway', async () => {
      const alert = await raiseAlert(`viewer-${project.name}`);
      const { page, errors, close } = await open(`/alerts/${alert.id}`, USERS.viewer);
      try {
        await page.getByRole('heading', { level: 1, name: `Probe on viewer-${project.name}` }).waitFor();
        assert.equal(await page.getByRole('heading', { name: 'Triage' }).count(), 0);
        assert.equal(await page.getByRole('button', { name: 'Acknowledge' }).count(), 0);
        await page.goto(`${ctx.vigil.url}/alerts`);
        await page.getByRole('table', { name: 'Alerts' }).waitFor();
        assert.equal(await page.getByRole('form', { name: 'Bulk triage' }).count(), 0);
        assert.equal(await page.getByRole('checkbox').count(), 0);
        // The same post a triage form makes, with the viewer's session.
        const refused = await page.request.post(`${ctx.vigil.url}/api/fn/alert_triage`, {
          form: { id: String(alert.id), status: 'resolved' },
        });
        assert.equal(refused.status(), 403);
        const bulk = await page.request.post(`${ctx.vigil.url}/api/fn/alerts_bulk`, {
          form: { 'ids[]': String(alert.id), act: 'resolve' },
        });
        assert.equal(bulk.status(), 403);
        const stored = await api('GET', `/api/v1/alerts/${alert.id}`);
        assert.equal(stored.body.status, 'open');
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });
  });
}

describe('alerts keyboard (hydrated)', () => {
  const hydrated = PROJECTS[1];

  test('j selects an alert, a acknowledges it and m assigns it', async () => {
    const alert = await raiseAlert('keys-hydrated');
    const { page, errors, close } = await openPage(ctx.browser, hydrated, `${ctx.vigil.url}/alerts?q=keys-hydrated`, USERS.admin);
    try {
      const hints = page.getByLabel('Keyboard shortcuts');
      await hints.waitFor();
      assert.match(await hints.textContent(), /j next · k previous · Enter open · a acknowledge · m assign to me/);
      await page.keyboard.press('j');
      await page.locator('table[aria-label="Alerts"] tr.selected').waitFor();
      await page.keyboard.press('a');
      await page.getByRole('status').filter({ hasText: `Alert ${alert.id} acknowledged.` }).waitFor();
      await page.keyboard.press('m');
      await page.getByRole('status').filter({ hasText: `Alert ${alert.id} assigned to admin.` }).waitFor();
      const stored = await api('GET', `/api/v1/alerts/${alert.id}`);
      assert.equal(stored.body.status, 'acknowledged');
      assert.equal(stored.body.assignee, 'admin');
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });
});
