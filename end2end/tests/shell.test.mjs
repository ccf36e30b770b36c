// The application shell in a real browser: it renders, its navigation works, unknown
// addresses get the 404 page; once with JavaScript off (server rendering alone) and once
// hydrated.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { openPage, PROJECTS, USERS, useVigil } from '../harness.mjs';

const SECTIONS = ['Dashboard', 'Events', 'Alerts', 'Rules', 'Reports', 'Admin'];

const ctx = useVigil();

for (const project of PROJECTS) {
  describe(`shell (${project.name})`, () => {
    test('the dashboard renders with every section in the navigation', async () => {
      const { page, response, errors, close } = await openPage(ctx.browser, project, `${ctx.vigil.url}/`, USERS.admin);
      try {
        assert.equal(response.status(), 200);
        assert.equal(await page.title(), 'Dashboard · Vigil');
        await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
        const nav = page.getByRole('navigation', { name: 'Main' });
        for (const name of SECTIONS) {
          assert.equal(await nav.getByRole('link', { name, exact: true }).count(), 1, name);
        }
        const current = nav.getByRole('link', { name: 'Dashboard', exact: true });
        assert.equal(await current.getAttribute('aria-current'), 'page');
        // Signing in is itself an audited event, so at least one is in the default range.
        const events = page.getByRole('region', { name: 'Events in range' });
        assert.ok(Number((await events.locator('.stat-value').textContent()).trim()) >= 1);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    test('navigation moves between sections', async () => {
      const { page, errors, close } = await openPage(ctx.browser, project, `${ctx.vigil.url}/`, USERS.admin);
      try {
        // A marker on window survives client-side routing but not a full page load.
        if (project.javaScriptEnabled) await page.evaluate(() => { window.__vigilMarker = 1; });
        const nav = page.getByRole('navigation', { name: 'Main' });
        for (const name of SECTIONS.slice(1)) {
          await nav.getByRole('link', { name, exact: true }).click();
          await page.getByRole('heading', { level: 1, name }).waitFor();
          assert.equal(new URL(page.url()).pathname, `/${name.toLowerCase()}`);
          assert.equal(await page.title(), `${name} · Vigil`);
          const link = nav.getByRole('link', { name, exact: true });
          assert.equal(await link.getAttribute('aria-current'), 'page');
        }
        await nav.getByRole('link', { name: 'Dashboard', exact: true }).click();
        await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
        if (project.javaScriptEnabled) {
          assert.equal(await page.evaluate(() => window.__vigilMarker), 1, 'routing reloaded the page');
        }
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    test('an unknown address shows the 404 page', async () => {
      const { page, response, close } = await openPage(ctx.browser, project, `${ctx.vigil.url}/no/such/page`, USERS.admin);
      try {
        assert.equal(response.status(), 404);
        await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
        await page.getByRole('link', { name: 'Back to the dashboard' }).click();
        await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
      } finally {
        await close();
      }
    });
  });
}
