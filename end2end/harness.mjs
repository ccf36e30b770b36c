// Starts a real Vigil server on a free port with a fresh data directory, and a headless
// Chromium (Debian's, never a downloaded one) with JavaScript on or off.

import { spawn, spawnSync } from 'node:child_process';
import { after, before } from 'node:test';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The two ways a user meets Vigil: server-rendered only, and hydrated. */
export const PROJECTS = [
  { name: 'ssr', javaScriptEnabled: false },
  { name: 'hydrated', javaScriptEnabled: true },
];

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the end-to-end tests through \`make test\``);
  return value;
}

/** The accounts every test run has: the first admin, and a viewer made with the CLI. */
export const USERS = {
  admin: { username: 'admin', password: 'e2e admin passphrase 1' },
  viewer: { username: 'viewer', password: 'e2e viewer passphrase 1' },
};

/**
 * Starts `vigil serve` and resolves once /healthz answers; `extraEnv` overrides the settings
 * below (a suite that needs a watched directory names one).
 */
export async function startVigil(extraEnv = {}) {
  const bin = required('VIGIL_E2E_BIN');
  const siteRoot = required('VIGIL_E2E_SITE_ROOT');
  if (!existsSync(join(siteRoot, 'pkg'))) throw new Error(`no built site under ${siteRoot}`);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-e2e-'));
  const env = { ...process.env, VIGIL_LISTEN: `127.0.0.1:${port}`, VIGIL_DATA_DIR: dataDir, VIGIL_SITE_ROOT: siteRoot };
  for (const key of Object.keys(env)) if (key.startsWith('LEPTOS_')) delete env[key];
  // Suites run side by side: no shared syslog port, no watched directory.
  Object.assign(env, { VIGIL_SYSLOG_UDP: 'off', VIGIL_SYSLOG_TCP: 'off', VIGIL_WATCH_DIR: 'off' }, extraEnv);
  // The first start creates the admin from VIGIL_ADMIN_PASSWORD; the viewer comes after.
  env.VIGIL_ADMIN_PASSWORD = USERS.admin.password;
  const child = spawn(bin, ['serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`vigil exited with ${child.exitCode}:\n${stderr}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`vigil did not answer on ${url} within 60 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const created = spawnSync(
    bin,
    ['user', 'create', '--username', USERS.viewer.username, '--role', 'viewer'],
    { env, input: `${USERS.viewer.password}\n`, encoding: 'utf8' },
  );
  if (created.status !== 0) throw new Error(`vigil user create failed:\n${created.stderr}`);
  return {
    url,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

const HYDRATION_TIMEOUT_MS = 30_000;

/** What the page says about its loading, for a report when it did not hydrate. */
async function loadingState(page) {
  return page.evaluate(() => ({
    readyState: document.readyState,
    resources: performance.getEntriesByType('resource')
      .filter((e) => e.name.includes('/pkg/'))
      .map((e) => ({ name: new URL(e.name).pathname, ms: Math.round(e.duration), status: e.responseStatus })),
  })).catch((err) => String(err));
}

/**
 * Waits for the WebAssembly to take over. A page that reported errors fails at once, naming
 * them: a hydration panic or a script that failed to load is such an error. A page that stalled
 * without any error is reported and loaded once more.
 */
async function hydrated(page, project, errors) {
  if (!project.javaScriptEnabled) return;
  const wait = () => page.waitForFunction(
    () => document.body?.dataset.hydrated === 'true', null, { timeout: HYDRATION_TIMEOUT_MS });
  try {
    await wait();
    return;
  } catch (err) {
    const state = JSON.stringify(await loadingState(page));
    if (errors.length > 0) {
      err.message += `\n${page.url()} did not hydrate; page errors: ${JSON.stringify(errors)}; ${state}`;
      throw err;
    }
    console.warn(`# ${page.url()} did not hydrate within ${HYDRATION_TIMEOUT_MS} ms and reported no error (${state}); loading it again`);
  }
  await page.reload();
  await wait();
}

/**
 * A fresh browser context and page; console errors and page errors are collected (a blocked
 * script or a hydration failure shows up there). With `user`, it signs in through the login
 * form first. On the hydrated project it resolves once the WebAssembly has taken over.
 */
export async function openPage(browser, project, url, user) {
  const context = await browser.newContext({ javaScriptEnabled: project.javaScriptEnabled });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  if (user) {
    await page.goto(url);
    await hydrated(page, project, errors);
    await signIn(page, user);
  }
  const response = await page.goto(url);
  await hydrated(page, project, errors);
  return { page, response, errors, close: () => context.close() };
}

/** Fills and submits the login form on the current page. */
export async function signIn(page, user) {
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/login') || u.search.includes('error')),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
}

/**
 * Starts one Vigil and one browser for the calling test file, stopped when it ends; the
 * returned object fills in once the `before` hook has run.
 */
export function useVigil(extraEnv = {}) {
  const ctx = {};
  before(async () => {
    ctx.vigil = await startVigil(typeof extraEnv === 'function' ? extraEnv() : extraEnv);
    ctx.browser = await launchBrowser();
  });
  after(async () => {
    await ctx.browser?.close();
    await ctx.vigil?.stop();
  });
  return ctx;
}
