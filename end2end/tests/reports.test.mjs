// The Reports page in both projects. A signed-in admin creates an event export of the events
// sent for the test (kind, range, format, query), follows it until it is done, downloads it and
// deletes it. Hydrated, every step happens in place: the list follows the report's progress
// without a reload. With JavaScript off, creating and deleting are plain form posts that land
// back on the page with a notice, and a reload shows the progress. The downloaded file has the
// name, content type and rows the events call for. Screenshots at 1280 and 768 px go to
// target/e2e-screenshots/.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { openPage, PROJECTS, USERS, useVigil } from '../harness.mjs';

const ctx = useVigil();

const [ssr, hydrated] = PROJECTS;

const SHOTS = fileURLToPath(new URL('../../target/e2e-screenshots/', import.meta.url));

/** Events sent per project, each with a message of its own and the project's host. */
const EVENTS = 7;

function host(project) {
  return `report-src-${project.name}`;
}

function messages(project) {
  return Array.from({ length: EVENTS }, (_, i) => `report probe ${project.name} ${i}`);
}

async function adminToken() {
  const res = await fetch(`${ctx.vigil.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(USERS.admin),
  });
  assert.equal(res.status, 200);
  return (await res.json()).access_token;
}

/** Sends the test events once and waits until a search finds them all (they are batched). */
let seeded;
function seed() {
  seeded ??= sendEvents();
  return seeded;
}

async function sendEvents() {
  const token = await adminToken();
  const events = PROJECTS.flatMap((p) => messages(p).map((message) => ({ message, host: host(p), action: 'report-probe' })));
  const res = await fetch(`${ctx.vigil.url}/api/v1/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${token}` },
    body: events.map((e) => JSON.stringify(e)).join('\n'),
  });
  assert.equal(res.status, 200, await res.text());
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = await fetch(`${ctx.vigil.url}/api/v1/logs?q=${encodeURIComponent('event_action:report-probe')}&limit=100`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if ((await found.json()).items.length === events.length) return;
    if (Date.now() > deadline) throw new Error('the report probes were not stored within 30 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function screenshots(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  for (const width of [1280, 768]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${SHOTS}reports-${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** Fills the New report form with an event export of the project's events. */
async function fillForm(page, project, name, format) {
  const form = page.getByRole('form', { name: 'New report' });
  await form.getByLabel('Kind').selectOption('events');
  await form.getByLabel('Range').selectOption('1h');
  await form.getByLabel('Format').selectOption(format);
  await form.getByLabel('Name (optional)').fill(name);
  await form.getByLabel('Event query (optional)').fill(`host:${host(project)}`);
  return form.getByRole('button', { name: 'Create report' });
}

function reportRow(page, name) {
  return page.getByRole('table', { name: 'Reports' }).getByRole('row').filter({ hasText: name });
}

/**
 * Downloads the report in `row` through its link: checks the file name the browser was given
 * and the answer's content type, and returns the file's text.
 */
async function download(page, row, extension, contentType) {
  const link = row.getByRole('link', { name: 'Download' });
  const href = await link.getAttribute('href');
  assert.match(href, /^\/api\/v1\/reports\/\d+\/download$/);
  const id = href.split('/')[4];
  const [file] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const fileName = new RegExp(`^vigil-events-\\d{8}T\\d{4}-\\d{8}T\\d{4}-${id}\\.${extension}$`);
  assert.match(file.suggestedFilename(), fileName);
  // The same download with the page's cookies, to read its headers.
  const res = await page.request.get(`${ctx.vigil.url}${href}`);
  assert.equal(res.status(), 200);
  assert.equal(res.headers()['content-type'], contentType);
  assert.match(res.headers()['content-disposition'], /^attachment; filename="vigil-events-/);
  const text = readFileSync(await file.path(), 'utf8');
  assert.equal(await res.text(), text, 'the link and the request get the same file');
  return text;
}

describe('reports (hydrated)', () => {
  test('create an event export, follow it live, download it as CSV and delete it', async () => {
    await seed();
    const { page, errors, close } = await openPage(ctx.browser, hydrated, `${ctx.vigil.url}/reports`, USERS.admin);
    try {
      // Set on this document: still there at the end if nothing reloaded the page.
      await page.evaluate(() => { window.sameDocument = true; });
      const name = 'Probe export (hydrated)';
      const create = await fillForm(page, hydrated, name, 'csv');
      await create.click();
      await page.getByRole('status').filter({ hasText: `Report “${name}” queued.` }).waitFor();
      const row = reportRow(page, name);
      await row.locator('.badge-ok', { hasText: 'done' }).waitFor();
      assert.equal(await row.getByRole('cell').nth(1).textContent(), 'Event export');
      assert.equal(await row.getByRole('cell').nth(2).textContent(), 'CSV');
      await screenshots(page, 'hydrated');

      const csv = await download(page, row, 'csv', 'text/csv; charset=utf-8');
      const lines = csv.split('\r\n').filter((l) => l !== '');
      const header = lines[0].split(',');
      assert.deepEqual(header.slice(0, 4), ['id', 'timestamp', 'received_at', 'host']);
      const body = lines.slice(1);
      assert.equal(body.length, EVENTS, csv);
      for (const message of messages(hydrated)) {
        assert.equal(body.filter((l) => l.includes(message)).length, 1, message);
      }
      for (const line of body) assert.equal(line.split(',')[3], host(hydrated), line);

      await row.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('status').filter({ hasText: 'Report deleted.' }).waitFor();
      await reportRow(page, name).waitFor({ state: 'detached' });
      assert.equal(await page.evaluate(() => window.sameDocument), true, 'the page was not reloaded');
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });
});

describe('reports (ssr)', () => {
  test('with JavaScript off, create an export as a form post, reload until done, download it as NDJSON and delete it', async () => {
    await seed();
    const { page, errors, close } = await openPage(ctx.browser, ssr, `${ctx.vigil.url}/reports`, USERS.admin);
    try {
      const name = 'Probe export (no script)';
      const create = await fillForm(page, ssr, name, 'json');
      await Promise.all([page.waitForURL(`${ctx.vigil.url}/reports`), create.click()]);
      await page.getByRole('status').filter({ hasText: `Report “${name}” queued.` }).waitFor();
      const row = reportRow(page, name);
      const deadline = Date.now() + 30_000;
      while ((await row.locator('.badge-ok', { hasText: 'done' }).count()) === 0) {
        if (Date.now() > deadline) throw new Error(`${name} was not done within 30 s: ${await row.textContent()}`);
        await new Promise((r) => setTimeout(r, 300));
        await page.reload();
      }
      assert.equal(await row.getByRole('cell').nth(2).textContent(), 'JSON');
      await screenshots(page, 'ssr');

      const ndjson = await download(page, row, 'ndjson', 'application/x-ndjson');
      const events = ndjson.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
      assert.deepEqual(events.map((e) => e.message).sort(), messages(ssr).sort());
      for (const e of events) assert.equal(e.host, host(ssr));

      await Promise.all([
        page.waitForURL(`${ctx.vigil.url}/reports`),
        row.getByRole('button', { name: 'Delete' }).click(),
      ]);
      await page.getByRole('status').filter({ hasText: 'Report deleted.' }).waitFor();
      assert.equal(await reportRow(page, name).count(), 0);
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });
});
