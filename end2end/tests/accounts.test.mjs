// Signing in and out through the login form, and what a viewer may see: once with JavaScript
// off (server rendering alone) and once hydrated.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { openPage, PROJECTS, signIn, USERS, useVigil } from '../harness.mjs';

const ctx = useVigil();

for (const project of PROJECTS) {
  describe(`accounts (${project.name})`, () => {
    test('signing in through the form and signing out', async () => {
      const { page, errors, close } = await openPage(ctx.browser, project, `${ctx.vigil.url}/events`);
      try {
        assert.equal(new URL(page.url()).pathname, '/login', 'anonymous visitors land on the login page');
        await signIn(page, USERS.admin);
        await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
        assert.equal(new URL(page.url()).pathname, '/events', 'back where the visitor was going');
        // The signed-in user's name in the header (the events table may list it too).
        await page.locator('.user-name', { hasText: 'admin' }).waitFor();
        await Promise.all([
          page.waitForURL((u) => u.pathname === '/login'),
          page.getByRole('button', { name: 'Sign out' }).click(),
        ]);
        await page.getByText('You have signed out.').waitFor();
        const res = await page.goto(`${ctx.vigil.url}/`);
        assert.equal(new URL(page.url()).pathname, '/login', 'the session is gone');
        assert.equal(res.status(), 200);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    test('a wrong password is refused with a message', async () => {
      const { page, close } = await openPage(ctx.browser, project, `${ctx.vigil.url}/login`);
      try {
        await signIn(page, { username: USERS.admin.username, password: 'not the password at all' });
        await page.getByRole('alert').filter({ hasText: 'Invalid username or password.' }).waitFor();
        assert.equal(new URL(page.url()).pathname, '/login');
      } finally {
        await close();
      }
    });

    test('a viewer sees no Admin entry and is refused on the admin page', async () => {
      const { page, errors, close } = await openPage(ctx.browser, project, `${ctx.vigil.url}/`, USERS.viewer);
      try {
        await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
        const nav = page.getByRole('navigation', { name: 'Main' });
        assert.equal(await nav.getByRole('link', { name: 'Events', exact: true }).count(), 1);
        assert.equal(await nav.getByRole('link', { name: 'Admin', exact: true }).count(), 0);
        const res = await page.goto(`${ctx.vigil.url}/admin`);
        assert.equal(res.status(), 403);
        await page.getByText('You do not have permission to view this page.').waitFor();
        assert.deepEqual(errors.filter((e) => !e.includes('403')), []);
      } finally {
        await close();
      }
    });
  });
}
