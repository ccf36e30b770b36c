// The rule pages in both projects (JavaScript off, and hydrated): a threshold rule written in
// the editor is backtested over a vendored sshd log (crowdsec's brute-force sample) and shows
// the alert it would have raised, is saved, then enabled from the list; Sigma files uploaded
// from SigmaHQ are imported with a result per file, a file that is not YAML refused (hydrated,
// without a reload).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { openPage, PROJECTS, USERS, useVigil } from '../harness.mjs';

const ctx = useVigil();

const CORPUS = new URL('../../server/tests/fixtures/corpus/', import.meta.url);
const SHOTS = fileURLToPath(new URL('../../target/e2e-screenshots/', import.meta.url));
const SIGMA = {
  ssr: 'rules-emerging-threats/2018/Exploits/CVE-2018-15473/lnx_sshd_exploit_cve_2018_15473.yml',
  hydrated: 'rules-emerging-threats/2023/Exploits/CVE-2023-2283/lnx_sshd_exploit_cve_2023_2283_libssh_authentication_bypass.yml',
};

async function adminToken() {
  const res = await fetch(`${ctx.vigil.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(USERS.admin),
  });
  return (await res.json()).access_token;
}

/** Stores the vendored brute-force log once: six invalid users from one address in 3 s. */
let seeded;
function seed() {
  seeded ??= (async () => {
    const log = readFileSync(new URL('auth/crowdsec_ssh-bf.log', CORPUS), 'utf8');
    const res = await fetch(`${ctx.vigil.url}/api/v1/logs/raw`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${await adminToken()}` },
      body: log,
    });
    const answer = await res.json();
    assert.equal(res.status, 200, JSON.stringify(answer));
    assert.equal(answer.accepted, 6, JSON.stringify(answer));
  })();
  return seeded;
}

async function screenshots(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  for (const width of [1280, 768]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${SHOTS}rules-${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

for (const project of PROJECTS) {
  describe(`rules (${project.name})`, () => {
    test('a threshold rule is backtested over a vendored log, saved and enabled', async () => {
      await seed();
      const name = `Invalid users burst ${project.name}`;
      const { page, errors, close } = await openPage(ctx.browser, project, `${ctx.vigil.url}/rules/new`, USERS.admin);
      try {
        const form = page.getByRole('form', { name: 'Rule' });
        await form.getByLabel('Name').fill(name);
        await form.getByLabel('Kind').selectOption('threshold');
        await form.getByLabel('Severity').selectOption('high');
        await form.getByLabel('ATT&CK tags').fill('attack.t1110');
        await form.getByLabel('Query', { exact: true }).fill('event_action:ssh_invalid_user');
        await form.getByLabel('Group by').fill('source_ip');
        await form.getByLabel('Window (seconds)').fill('60');
        await form.getByLabel('Threshold', { exact: true }).fill('5');
        await form.getByLabel('From').fill('2000-01-01T00:00:00Z');
        await form.getByLabel('To', { exact: true }).fill('2037-01-01T00:00:00Z');
        await Promise.all([
          page.waitForURL((u) => u.pathname === '/rules/new' && u.searchParams.get('preview') === '1'),
          form.getByRole('button', { name: 'Backtest' }).click(),
        ]);
        // Stored events include the audit trail's sign-ins: only the six sshd lines match.
        await page.getByRole('status').filter({ hasText: /^1 alert would have been raised from \d+ events/ }).waitFor();
        const wouldBe = page.getByRole('table', { name: 'Would-be alerts' });
        assert.match(await wouldBe.textContent(), /source_ip=35\.188\.49\.176/);
        assert.match(await wouldBe.textContent(), /high/);
        assert.equal((await wouldBe.locator('tbody td.num').textContent()).trim(), '6');
        // The form keeps the draft.
        assert.equal(await form.getByLabel('Name').inputValue(), name);
        await screenshots(page, `editor-${project.name}`);

        const save = page.getByRole('form', { name: 'Save rule' });
        await save.getByRole('button', { name: 'Save rule' }).click();
        await page.getByRole('status').filter({ hasText: `Created rule ${name} (disabled).` }).waitFor();

        await page.goto(`${ctx.vigil.url}/rules`);
        const table = page.getByRole('table', { name: 'Rules' });
        const row = table.getByRole('row').filter({ hasText: name });
        assert.match(await row.textContent(), /threshold/);
        assert.match(await row.textContent(), /attack\.t1110/);
        assert.match(await row.textContent(), /disabled/);
        await row.getByRole('button', { name: `Enable ${name}` }).click();
        await page.getByRole('status').filter({ hasText: `Rule ${name} enabled.` }).waitFor();
        await row.getByRole('button', { name: `Disable ${name}` }).waitFor();
        const res = await fetch(`${ctx.vigil.url}/api/v1/rules`, { headers: { authorization: `Bearer ${await adminToken()}` } });
        const saved = (await res.json()).find((r) => r.name === name);
        assert.equal(saved.enabled, true);
        assert.equal(saved.definition.query, 'event_action:ssh_invalid_user');
        assert.deepEqual(saved.definition.group_by, ['source_ip']);
        assert.equal(saved.definition.window_secs, 60);
        assert.equal(saved.definition.threshold, 5);
        await screenshots(page, `list-${project.name}`);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });

    test('Sigma files are imported by upload with a result per file', async () => {
      const { page, errors, close } = await openPage(ctx.browser, project, `${ctx.vigil.url}/rules/import`, USERS.admin);
      try {
        const path = SIGMA[project.name];
        const file = path.split('/').pop();
        const yaml = readFileSync(new URL(`sigma/SigmaHQ-sigma/${path}`, CORPUS));
        const title = /^title: (.*)$/m.exec(yaml.toString())[1].trim();
        const form = page.getByRole('form', { name: 'Import Sigma rules' });
        await form.getByLabel('Sigma files').setInputFiles([
          { name: file, mimeType: 'application/x-yaml', buffer: yaml },
          { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a rule') },
        ]);
        await page.evaluate(() => { window.__vigilMark = 'same page'; });
        await form.getByRole('button', { name: 'Import' }).click();
        const result = page.getByRole('status').filter({ hasText: `${file}: imported ${title}` });
        await result.waitFor();
        assert.match(await result.textContent(), /notes\.txt: refused \(not a Sigma file: the name does not end in \.yml or \.yaml\)/);
        // Hydrated, the page posts the files itself: no reload, and the form is emptied.
        const samePage = await page.evaluate(() => window.__vigilMark === 'same page');
        assert.equal(samePage, project.javaScriptEnabled);
        assert.equal(await form.getByLabel('Sigma files').evaluate((input) => input.files.length), 0);
        await page.goto(`${ctx.vigil.url}/rules`);
        const row = page.getByRole('table', { name: 'Rules' }).getByRole('row').filter({ hasText: title });
        assert.match(await row.textContent(), /sigma/);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });
  });
}
