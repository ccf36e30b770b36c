// Assigning alerts to a colleague in both projects (JavaScript off, and hydrated): one alert
// from its page, several from the queue's bulk bar, the picker listing only users who may
// triage; a viewer posting anyway is refused. Hydrated, a status change shows on the rows
// before the server answers, and a refused one is taken back with a notice.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { openPage, PROJECTS, USERS, useVigil } from '../harness.mjs';

const ctx = useVigil();

const SHOTS = fileURLToPath(new URL('../../target/e2e-screenshots/', import.meta.url));

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

/** Signs in, creates the probe rule and the colleagues (an analyst, a viewer), once. */
let prepared;
function prepare() {
  prepared ??= (async () => {
    const login = await fetch(`${ctx.vigil.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(USERS.admin),
    });
    token = (await login.json()).access_token;
    const rule = await api('POST', '/api/v1/rules', {
      name: 'Assign probe',
      kind: 'match',
      severity: 'medium',
      definition: { query: 'event_action:assign-probe', group_by: ['host'], title: 'Assign probe on {host}' },
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    ruleId = rule.body.id;
    for (const [username, role] of [['carol', 'analyst'], ['dave', 'viewer']]) {
      const created = await api('POST', '/api/v1/accounts/users', {
        username, roles: [role], password: `${username} e2e passphrase 1`, display_name: `${username[0].toUpperCase()}${username.slice(1)} Example`,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
  })();
  return prepared;
}

/** Writes probe lines for `host` until the rule has raised its alert, and returns it. */
async function raiseAlert(host) {
  await prepare();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`${ctx.vigil.url}/api/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ message: `assign probe from ${host}`, host, action: 'assign-probe' }),
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
    await page.screenshot({ path: `${SHOTS}assign-${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

for (const project of PROJECTS) {
  describe(`alert assignment (${project.name})`, () => {
    test('an alert is assigned to a colleague from its page', async () => {
      const alert = await raiseAlert(`one-${project.name}`);
      const { page, errors, close } = await openPage(ctx.browser, project, `${ctx.vigil.url}/alerts/${alert.id}`, USERS.admin);
      try {
        const form = page.getByRole('form', { name: 'Assign to' });
        const picker = form.getByLabel('Assignee');
        const offered = await picker.locator('option').allTextContents();
        // The triagers, by username: the admin and the analyst, not the viewers.
        assert.deepEqual(offered, ['admin', 'Carol Example (carol)']);
        await picker.selectOption({ label: 'Carol Example (carol)' });
        await form.getByRole('button', { name: 'Assign', exact: true }).click();
        await page.getByRole('status').filter({ hasText: `Alert ${alert.id} assigned to carol.` }).waitFor();
        await page.getByText(`Alert ${alert.id} · assigned to carol`).waitFor();
        const stored = await api('GET', `/api/v1/alerts/${alert.id}`);
        assert.equal(stored.body.assignee, 'carol');
        await screenshots(page, `detail-${project.name}`);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    test('ticked alerts are assigned from the queue, and a viewer is refused', async () => {
      const alerts = [await raiseAlert(`bulk-${project.name}-1`), await raiseAlert(`bulk-${project.name}-2`)];
      const { page, errors, close } = await openPage(ctx.browser, project, `${ctx.vigil.url}/alerts?q=bulk-${project.name}`, USERS.admin);
      try {
        const form = page.getByRole('form', { name: 'Bulk triage' });
        for (const a of alerts) await form.getByRole('checkbox', { name: `Select alert ${a.id}` }).check();
        await form.getByLabel('Assignee').selectOption({ label: 'Carol Example (carol)' });
        await form.getByRole('button', { name: 'Assign', exact: true }).click();
        await page.getByRole('status').filter({ hasText: '2 alerts assigned to carol.' }).waitFor();
        for (const a of alerts) {
          const stored = await api('GET', `/api/v1/alerts/${a.id}`);
          assert.equal(stored.body.assignee, 'carol', `alert ${a.id}`);
        }
        await page.waitForFunction(() => [...document.querySelectorAll('table[aria-label="Alerts"] tbody tr')]
          .every((tr) => tr.textContent.includes('carol')));
        await screenshots(page, `bulk-${project.name}`);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
      const carol = (await api('GET', '/api/v1/alerts/assignees')).body.find((u) => u.username === 'carol');
      const viewer = await openPage(ctx.browser, project, `${ctx.vigil.url}/alerts/${alerts[0].id}`, USERS.viewer);
      try {
        assert.equal(await viewer.page.getByRole('form', { name: 'Assign to' }).count(), 0);
        const refused = await viewer.page.request.post(`${ctx.vigil.url}/api/fn/alert_triage`, {
          form: { id: String(alerts[0].id), assign: String(carol.id) },
        });
        assert.equal(refused.status(), 403);
      } finally {
        await viewer.close();
      }
    });
  });
}

describe('optimistic triage (hydrated)', () => {
  const hydrated = PROJECTS[1];

  test('a status change shows at once, and a refused one is taken back', async () => {
    const alert = await raiseAlert('optimistic-hydrated');
    const { page, errors, close } = await openPage(ctx.browser, hydrated, `${ctx.vigil.url}/alerts?q=optimistic-hydrated`, USERS.admin);
    try {
      const form = page.getByRole('form', { name: 'Bulk triage' });
      const row = page.getByRole('table', { name: 'Alerts' }).getByRole('row').filter({ hasText: 'Assign probe on optimistic-hydrated' });
      const status = row.locator('td[data-label="Status"]');
      assert.equal((await status.textContent()).trim(), 'open');

      // The request is held until the row shows the new status: it shows before the answer.
      let shownBeforeAnswer = null;
      await page.route('**/api/fn/alerts_bulk*', async (route) => {
        shownBeforeAnswer = await status.filter({ hasText: 'acknowledged' }).waitFor({ timeout: 5_000 })
          .then(() => true, () => false);
        await route.continue();
      });
      await form.getByRole('checkbox', { name: `Select alert ${alert.id}` }).check();
      await form.getByRole('button', { name: 'Acknowledge' }).click();
      await page.getByRole('status').filter({ hasText: '1 alert acknowledged.' }).waitFor();
      assert.equal(shownBeforeAnswer, true);
      assert.equal((await api('GET', `/api/v1/alerts/${alert.id}`)).body.status, 'acknowledged');
      await page.unroute('**/api/fn/alerts_bulk*');

      // A change the server refuses (the post is altered on its way) is shown, then undone.
      let shownThenRefused = null;
      await page.route('**/api/fn/alerts_bulk*', async (route) => {
        shownThenRefused = await status.filter({ hasText: 'resolved' }).waitFor({ timeout: 5_000 })
          .then(() => true, () => false);
        const body = route.request().postData();
        assert.match(body, /act=resolve/);
        await route.continue({ postData: body.replace('act=resolve', 'act=explode') });
      });
      await form.getByRole('checkbox', { name: `Select alert ${alert.id}` }).check();
      await form.getByRole('button', { name: 'Resolve' }).click();
      const refused = page.getByRole('alert').filter({ hasText: 'the change was undone' });
      await refused.waitFor();
      assert.match(await refused.textContent(), /act: `explode` is not one of/);
      assert.equal(shownThenRefused, true);
      await status.filter({ hasText: 'acknowledged' }).waitFor();
      assert.equal((await api('GET', `/api/v1/alerts/${alert.id}`)).body.status, 'acknowledged');
      // The console's report of the refused request is the expected one.
      assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), []);
    } finally {
      await close();
    }
  });
});
