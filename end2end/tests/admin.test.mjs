// An administrator manages accounts in the hydrated browser: creates a user whose generated
// password then works, creates an API token whose secret is shown once, and reads the audit
// log. With JavaScript off the same pages are readable, and the writes work as plain form
// posts: a user and a role are created, the role's permissions saved.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { openPage, PROJECTS, signIn, USERS, useVigil } from '../harness.mjs';

const ctx = useVigil();

const [ssr, hydrated] = PROJECTS;

describe('admin (hydrated)', () => {
  test('creating a user gives a password that signs in', async () => {
    const { page, errors, close } = await openPage(ctx.browser, hydrated, `${ctx.vigil.url}/admin/users`, USERS.admin);
    try {
      const form = page.getByRole('form', { name: 'New user' });
      await form.getByLabel('Username').fill('nadia');
      await form.getByLabel('Display name').fill('Nadia N');
      await form.getByLabel('Role').selectOption('analyst');
      await form.getByRole('button', { name: 'Create user' }).click();
      const status = page.getByRole('status').filter({ hasText: 'Created nadia' });
      await status.waitFor();
      const password = (await status.textContent()).split('shown only now: ')[1].trim();
      assert.ok(password.length >= 20, password);
      const table = page.getByRole('table', { name: 'Users' });
      await table.getByRole('cell', { name: 'nadia', exact: true }).waitFor();

      const other = await openPage(ctx.browser, hydrated, `${ctx.vigil.url}/login`);
      try {
        await signIn(other.page, { username: 'nadia', password });
        await other.page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
        const nav = other.page.getByRole('navigation', { name: 'Main' });
        assert.equal(await nav.getByRole('link', { name: 'Admin', exact: true }).count(), 0);
      } finally {
        await other.close();
      }
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });

  test('an API token is shown once and listed without its secret', async () => {
    const { page, errors, close } = await openPage(ctx.browser, hydrated, `${ctx.vigil.url}/admin/tokens`, USERS.admin);
    try {
      const form = page.getByRole('form', { name: 'New API token' });
      await form.getByLabel('Token name').fill('edge-shipper');
      await form.getByRole('button', { name: 'Create token' }).click();
      const status = page.getByRole('status').filter({ hasText: 'Copy it now' });
      await status.waitFor();
      const secret = (await status.textContent()).split('not shown again: ')[1].trim();
      assert.match(secret, /^vgl_/);
      const res = await fetch(`${ctx.vigil.url}/api/v1/accounts/me`, { headers: { authorization: `Bearer ${secret}` } });
      assert.equal(res.status, 200);
      assert.deepEqual((await res.json()).permissions, ['ingest.write']);
      const table = page.getByRole('table', { name: 'API tokens' });
      await table.getByRole('cell', { name: 'edge-shipper' }).waitFor();
      assert.ok(!(await table.textContent()).includes(secret));
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });

  test('the audit log shows sign-ins and filters them', async () => {
    const { page, errors, close } = await openPage(ctx.browser, hydrated, `${ctx.vigil.url}/admin/audit`, USERS.admin);
    try {
      const table = page.getByRole('table', { name: 'Audit records' });
      await table.getByRole('cell', { name: 'login', exact: true }).first().waitFor();
      const form = page.getByRole('form', { name: 'Filter the audit log' });
      await form.getByLabel('Action').fill('token_create');
      await form.getByRole('button', { name: 'Filter' }).click();
      await page.waitForFunction(() => {
        const cells = [...document.querySelectorAll('table[aria-label="Audit records"] tbody tr td:nth-child(4)')];
        return cells.length > 0 && cells.every((c) => c.textContent === 'token_create');
      });
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });
});

describe('admin (ssr)', () => {
  test('the admin pages are readable with JavaScript off', async () => {
    const { page, close } = await openPage(ctx.browser, ssr, `${ctx.vigil.url}/admin/roles`, USERS.admin);
    try {
      const matrix = page.getByRole('table', { name: 'Permissions by role' });
      const box = matrix.getByRole('checkbox', { name: 'admin grants users.manage' });
      assert.equal(await box.isChecked(), true);
      assert.equal(await box.isDisabled(), true, 'built-in roles are fixed');
      await page.goto(`${ctx.vigil.url}/admin`);
      for (const name of ['Users', 'Roles', 'API tokens', 'Audit log']) {
        assert.equal(await page.getByRole('link', { name, exact: true }).count(), 1, name);
      }
    } finally {
      await close();
    }
  });

  test('an admin creates a user and a role with JavaScript off', async () => {
    const { page, errors, close } = await openPage(ctx.browser, ssr, `${ctx.vigil.url}/admin/users`, USERS.admin);
    try {
      const form = page.getByRole('form', { name: 'New user' });
      await form.getByLabel('Username').fill('omar');
      await form.getByLabel('Role').selectOption('analyst');
      await form.getByRole('button', { name: 'Create user' }).click();
      const status = page.getByRole('status').filter({ hasText: 'Created omar' });
      await status.waitFor();
      assert.equal(new URL(page.url()).pathname, '/admin/users');
      const password = (await status.textContent()).split('shown only now: ')[1].trim();
      const table = page.getByRole('table', { name: 'Users' });
      await table.getByRole('cell', { name: 'omar', exact: true }).waitFor();
      // The notice was read once: it is gone on the next visit.
      await page.reload();
      assert.equal(await page.getByRole('status').filter({ hasText: 'Created omar' }).count(), 0);
      const login = await fetch(`${ctx.vigil.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'omar', password }),
      });
      assert.equal(login.status, 200);

      await page.goto(`${ctx.vigil.url}/admin/roles`);
      const roleForm = page.getByRole('form', { name: 'New role' });
      await roleForm.getByLabel('Role name').fill('responder');
      await roleForm.getByRole('button', { name: 'Create role' }).click();
      await page.getByRole('status').filter({ hasText: 'Created role responder.' }).waitFor();
      const matrix = page.getByRole('table', { name: 'Permissions by role' });
      await matrix.getByRole('checkbox', { name: 'responder grants alerts.read' }).check();
      await matrix.getByRole('checkbox', { name: 'responder grants alerts.triage' }).check();
      await matrix.getByRole('button', { name: 'Save responder' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved role responder' }).waitFor();
      assert.equal(await matrix.getByRole('checkbox', { name: 'responder grants alerts.triage' }).isChecked(), true);
      assert.equal(await matrix.getByRole('checkbox', { name: 'responder grants rules.write' }).isChecked(), false);

      // A refused write comes back as an error notice, not a raw error page.
      await roleForm.getByLabel('Role name').fill('responder');
      await roleForm.getByRole('button', { name: 'Create role' }).click();
      await page.getByRole('alert').filter({ hasText: /responder/ }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/admin/roles');
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });
});
