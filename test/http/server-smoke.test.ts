import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testDatabase } from '../support/database.js';
import { fetchJson, freePort } from '../support/http.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `npm start` compiles with tsc first, which takes a few seconds on a busy machine. */
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startServer(port: number, dataDir: string): Started {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    RESTOCK_DATA_DIR: dataDir,
    RESTOCK_DB: join(dataDir, 'restock.db'),
  };
  // Unset keys make the server generate them into <dataDir>/keys.json, as on a first start.
  delete env.RESTOCK_ADMIN_KEY;
  delete env.RESTOCK_PUBLISHABLE_KEY;

  // Its own process group, so the finally block can stop npm and everything it started.
  const child = spawn('npm', ['start'], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

async function waitForHealth(baseUrl: string, server: Started): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exitedEarly = false;
  void server.exited.then(() => (exitedEarly = true));

  while (Date.now() < deadline) {
    assert.equal(exitedEarly, false, `the server exited before it was healthy:\n${server.output()}`);
    try {
      const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.fail(`/healthz did not answer 200 within ${START_TIMEOUT_MS} ms:\n${server.output()}`);
}

function withTimeout<T>(promise: Promise<T>, milliseconds: number): Promise<T | 'timed out'> {
  return Promise.race([promise, new Promise<'timed out'>((resolve) => setTimeout(() => resolve('timed out'), milliseconds).unref())]);
}

describe(`real server smoke (${testDatabase})`, () => {
  it(
    'npm start serves orders and stops on SIGTERM',
    { skip: testDatabase === 'postgres' ? 'starts the embedded SQLite server only' : false, timeout: START_TIMEOUT_MS + 30_000 },
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'restock-smoke-'));
      const port = await freePort();
      const baseUrl = `http://127.0.0.1:${port}`;
      const server = startServer(port, dataDir);

      try {
        await waitForHealth(baseUrl, server);
        const keys = JSON.parse(readFileSync(join(dataDir, 'keys.json'), 'utf8')) as { admin: string; publishable: string };
        const admin = { key: { authorization: `Bearer ${keys.admin}` } } as const;

        const sku = await fetchJson(baseUrl, 'PUT', '/v1/skus/TOTE', { policy: 'stock_only' }, admin);
        const stock = await fetchJson(baseUrl, 'POST', '/v1/stock/adjustments', { sku: 'TOTE', quantity_delta: 5, reason: 'first count' }, admin);
        const order = await fetchJson(baseUrl, 'POST', '/v1/orders', { currency: 'USD', lines: [{ sku: 'TOTE', quantity: 2, unit_price: 1999 }] }, admin);
        const availability = await fetchJson(baseUrl, 'GET', '/v1/availability/TOTE', undefined, { key: { authorization: `Bearer ${keys.publishable}` } });
        const metrics = await fetch(`${baseUrl}/metrics`).then((response) => response.text());

        assert.equal(sku.status, 201, sku.text);
        assert.equal(stock.status, 201, stock.text);
        assert.equal(order.status, 201, order.text);
        assert.equal(order.body.status, 'allocated');
        assert.equal(availability.status, 200, availability.text);
        assert.equal(availability.body.available, 3);
        assert.match(metrics, /^restock_orders_placed_total 1$/m);

        process.kill(server.child.pid!, 'SIGTERM');
        const exit = await withTimeout(server.exited, STOP_TIMEOUT_MS);

        assert.notEqual(exit, 'timed out', `the server did not stop within ${STOP_TIMEOUT_MS} ms of SIGTERM:\n${server.output()}`);
        assert.deepEqual(exit, { code: 0, signal: null }, server.output());
        await assert.rejects(fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) }), 'the port still answers after the stop');
      } finally {
        if (server.child.exitCode === null && server.child.signalCode === null) {
          try {
            process.kill(-server.child.pid!, 'SIGKILL');
          } catch {
            // The group is already gone.
          }
        }
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );
});
