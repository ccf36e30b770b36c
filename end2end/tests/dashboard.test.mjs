// The dashboard in both projects (JavaScript off, and hydrated): its cards and top lists show
// the figures of the events just sent, a top value opens the events browser narrowed to it over
// the same range, the range picker keeps the range in the URL, and logged text carrying script,
// markup and `javascript:` payloads stays text: no dialog, no injected element, no CSP
// violation. Without JavaScript the server's SVG charts stand and `refresh` reloads the page;
// hydrated, Chart.js (served by Vigil) draws every chart on a canvas under the same strict
// policy, and clicking a bar opens the events browser narrowed to it. Screenshots at 1280 and
// 768 px go to target/e2e-screenshots/.

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

test('Vigil serves Chart.js and its licence itself', async () => {
  const script = await fetch(`${ctx.vigil.url}/vendor/chart.js/chart.umd.min.js`);
  assert.equal(script.status, 200);
  assert.match(await script.text(), /Chart\.js v4\.6\.2/);
  const licence = await fetch(`${ctx.vigil.url}/vendor/chart.js/LICENSE.md`);
  assert.equal(licence.status, 200);
  assert.match(await licence.text(), /The MIT License/);
});

async function adminToken() {
  const res = await fetch(`${ctx.vigil.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(USERS.admin),
  });
  assert.equal(res.status, 200);
  return (await res.json()).access_token;
}

/** Host-metric samples: host, CPU %, memory %. */
const METRICS = [['web-1', 40, 70], ['web-1', 60, 72], ['db-1', 95, 50]];

/** The charts the seeded events give (no alerts were raised, so no alert chart). */
const CHARTS = [
  'Events over time by level',
  'Logins: failed and successful',
  'Top source addresses',
  'Top event actions',
  'Host CPU usage',
  'Host memory use',
];

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
      ...METRICS.map(([host, cpu, memory]) => ({
        timestamp: new Date().toISOString(), host, cpu_usage: cpu,
        memory_usage: { used: memory / 10, total: 10, percent: memory },
      })),
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

/** Waits until Chart.js has drawn every chart's canvas on the hydrated page. */
async function chartsDrawn(page) {
  await page.waitForFunction((n) => document.querySelectorAll('.chart-canvas.drawn canvas').length === n
    && [...document.querySelectorAll('.chart-canvas.drawn canvas')].every((c) => c.width > 0 && c.height > 0),
  CHARTS.length);
}

/** Per chart title: how many of its canvas's pixels are painted, and how many it has. */
async function canvasInk(page) {
  return page.evaluate(() => Object.fromEntries([...document.querySelectorAll('.chart-panel')]
    .filter((panel) => panel.querySelector('canvas'))
    .map((panel) => {
      const canvas = panel.querySelector('canvas');
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted += 1;
      return [panel.querySelector('h2').textContent, { painted, pixels: canvas.width * canvas.height }];
    })));
}

/** Clicks the bar (or segment, or point) of dataset `label`, at `index`, on the chart titled `title`. */
async function clickChart(page, title, label, index) {
  const canvas = page.getByRole('region', { name: title }).locator('canvas');
  const at = await canvas.evaluate((el, [label, index]) => {
    const chart = window.Chart.getChart(el);
    const dataset = chart.data.datasets.findIndex((d) => d.label === label);
    const { x, y, base } = chart.getDatasetMeta(dataset).data[index];
    // The middle of a bar (between its top and its base), or the point itself.
    return { x, y: base === undefined ? y : (y + base) / 2 };
  }, [label, index]);
  await canvas.click({ position: at });
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
        // Host metrics: one line per host, the busiest (highest peak) first. web-1's two samples
        // fall in one minute, so its peak is their average.
        const cpu = page.getByRole('region', { name: 'Host CPU usage' });
        assert.deepEqual(await cpu.locator('.chart-legend li').allTextContents(), ['db-1 max 95 %', 'web-1 max 50 %']);
        assert.equal(await cpu.locator('svg polyline').count(), 2);
        // Each host has one sample in the range: a dot, since a line of one point draws nothing.
        assert.equal(await cpu.locator('svg path.gauge-dot').count(), 2);
        if (project.javaScriptEnabled) {
          await chartsDrawn(page);
          assert.equal(await page.locator('svg.stacked-chart').first().isVisible(), false, 'the canvas takes the SVG\'s place');
        } else {
          assert.equal(await page.locator('.chart-canvas canvas').first().isVisible(), false, 'no blank canvas without JavaScript');
        }
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

    if (!project.javaScriptEnabled) {
      test('refresh in the URL reloads the page without JavaScript', async () => {
        const { page, errors, close } = await open('/?range=1h&refresh=5');
        try {
          const reloaded = page.waitForEvent('framenavigated', { timeout: 20_000 });
          assert.equal(await page.locator('noscript meta[http-equiv="refresh"]').getAttribute('content'), '5');
          const frame = await reloaded;
          assert.equal(new URL(frame.url()).searchParams.get('refresh'), '5');
          // The range picker keeps it.
          assert.equal(new URL(await page.getByRole('link', { name: '15 minutes' }).getAttribute('href'), ctx.vigil.url).searchParams.get('refresh'), '5');
          assert.deepEqual(errors, []);
        } finally {
          await close();
        }
      });
    }

    if (project.javaScriptEnabled) {
      test('Chart.js draws every chart under the strict policy and a bar opens the events it counts', async () => {
        const { page, errors, close } = await open('/?range=1h&refresh=5');
        try {
          await page.addInitScript(() => {
            window.__violations = [];
            document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
          });
          await page.reload();
          await page.waitForFunction(() => document.body?.dataset.hydrated === 'true');
          await chartsDrawn(page);
          const ink = await canvasInk(page);
          assert.deepEqual(Object.keys(ink).sort(), [...CHARTS].sort());
          for (const [title, { painted, pixels }] of Object.entries(ink)) {
            assert.ok(painted > pixels / 100, `${title}: ${painted} of ${pixels} pixels painted`);
          }
          // A hydrated page reloads its figures itself: the reload for browsers without
          // JavaScript is only text inside <noscript>.
          assert.equal(await page.locator('meta[http-equiv="refresh"]').count(), 0);
          assert.deepEqual(await page.evaluate(() => window.__violations), []);
          assert.deepEqual(errors, []);

          // The failed logins' segment: the events browser over that bucket, narrowed to them.
          const logins = await page.getByRole('region', { name: 'Logins: failed and successful' }).locator('canvas').evaluate((el) => {
            const chart = window.Chart.getChart(el);
            const failure = chart.data.datasets.find((d) => d.label === 'failure');
            return { index: failure.data.findIndex((v) => v > 0) };
          });
          assert.ok(logins.index >= 0);
          await Promise.all([
            page.waitForURL((u) => u.pathname === '/events'),
            clickChart(page, 'Logins: failed and successful', 'failure', logins.index),
          ]);
          const url = new URL(page.url());
          assert.equal(url.searchParams.get('q'), 'event_category:"authentication" AND event_outcome:"failure"');
          const minutes = (Date.parse(url.searchParams.get('to')) - Date.parse(url.searchParams.get('from'))) / 60_000;
          assert.equal(minutes, 1, `one bucket of a one-hour range: ${page.url()}`);

          assert.deepEqual(await page.evaluate(() => window.__violations ?? []), []);
          assert.deepEqual(errors, []);
        } finally {
          await close();
        }
      });

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
