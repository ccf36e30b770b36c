// The Reports page: with JavaScript, create a report through the form, watch it finish,
// download it and delete it; without JavaScript, the list and the download link work.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { openPage, PROJECTS, USERS, useVigil } from '../harness.mjs';

const ctx = useVigil();

/** Signs in to the API as the admin; answers a bearer token. */
async function apiToken(url) {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(USERS.admin),
  });
  assert.equal(res.status, 200);
  return (await res.json()).access_token;
}

/** Queues a report through the API and waits until it is done; answers it. */
async function reportDone(url, body) {
  const token = await apiToken(url);
  const auth = { authorization: `Bearer ${token}` };
  const res = await fetch(`${url}/api/v1/reports`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 202);
  const { id } = await res.json();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const view = await (await fetch(`${url}/api/v1/reports/${id}`, { headers: auth })).json();
    if (view.status === 'done') return view;
    assert.notEqual(view.status, 'failed', view.error);
    assert.ok(Date.now() < deadline, 'report not done in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

for (const project of PROJECTS) {
  describe(`reports (${project.name})`, () => {
    if (project.javaScriptEnabled) {
      test('a report created in the form finishes, downloads and is deleted', async () => {
        const { page, errors, close } = await openPage(ctx.browser, project, `${ctx.vigil.url}/reports`, USERS.admin);
        try {
          await page.getByRole('heading', { level: 1, name: 'Reports' }).waitFor();
          const form = page.getByRole('form', { name: 'New report' });
          await form.getByLabel('Kind').selectOption('events');
          await form.getByLabel('Format').selectOption('csv');
          await form.getByLabel('Name (optional)').fill('Browser export');
          await form.getByRole('button', { name: 'Create report' }).click();
          await page.getByRole('status').filter({ hasText: 'Report “Browser export” queued.' }).waitFor();
          const row = page.getByRole('table', { name: 'Reports' }).getByRole('row').filter({ hasText: 'Browser export' });
          // The page looks again by itself until the report is done.
          await row.getByText('done').waitFor({ timeout: 60_000 });
          const [download] = await Promise.all([
            page.waitForEvent('download'),
            row.getByRole('link', { name: 'Download' }).click(),
          ]);
          assert.match(download.suggestedFilename(), /^vigil-events-.*\.csv$/);
          await row.getByRole('button', { name: 'Delete' }).click();
          await page.getByRole('status').filter({ hasText: 'Report deleted.' }).waitFor();
          assert.equal(await row.count(), 0);
          assert.deepEqual(errors, []);
        } finally {
          await close();
        }
      });
    } else {
      test('the list and the download link work without JavaScript', async () => {
        const report = await reportDone(ctx.vigil.url, { kind: 'summary', format: 'json', range: '1h', name: 'Plain summary' });
        const { page, errors, close } = await openPage(ctx.browser, project, `${ctx.vigil.url}/reports`, USERS.admin);
        try {
          const row = page.getByRole('table', { name: 'Reports' }).getByRole('row').filter({ hasText: 'Plain summary' });
          await row.getByText('done').waitFor();
          const href = await row.getByRole('link', { name: 'Download' }).getAttribute('href');
          assert.equal(href, `/api/v1/reports/${report.id}/download`);
          // The browser's own cookies are enough to download.
          const res = await page.request.get(`${ctx.vigil.url}${href}`);
          assert.equal(res.status(), 200);
          assert.equal(res.headers()['content-type'], 'application/json');
          assert.match(res.headers()['content-disposition'], /^attachment; filename="vigil-summary-.*\.json"$/);
          const doc = await res.json();
          assert.equal(doc.name, 'Plain summary');
          assert.deepEqual(errors, []);
        } finally {
          await close();
        }
      });
    }
  });
}
