import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWebhookEndpoint } from '../../src/app/webhook-endpoints.js';
import { Store } from '../../src/store/store.js';
import { testDatabase } from '../support/database.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DELIVERY_DEADLINE_MS = 60_000;

async function waitFor(condition: () => boolean, deadlineMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`gave up waiting: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe(`restock worker (${testDatabase})`, () => {
  it(
    'worker delivers a webhook and stops on SIGTERM',
    { skip: testDatabase === 'postgres' ? 'runs the embedded SQLite store only' : false, timeout: DELIVERY_DEADLINE_MS + 30_000 },
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'restock-worker-'));
      const url = join(dataDir, 'restock.db');
      let secret = '';
      const receiver = await startWebhookReceiver({ secret: () => secret, now: () => new Date() });
      const store = await Store.open({ url });
      secret = (await store.transaction((work) => createWebhookEndpoint(work, { url: receiver.url, events: ['stock.adjusted'] }))).secret;
      await store.transaction(async (work) => work.emit({ type: 'stock.adjusted', sku: 'TOTE', data: { quantity_delta: 4 } }));
      await store.close();

      const env: NodeJS.ProcessEnv = { ...process.env, RESTOCK_DATA_DIR: dataDir, RESTOCK_DB: url, LOG_LEVEL: 'info' };
      delete env.RESTOCK_LINK_SECRET;
      delete env.RESTOCK_SMTP_URL;
      const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'worker'], { cwd: REPO_ROOT, env });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

      try {
        await waitFor(() => receiver.handled.length === 1, DELIVERY_DEADLINE_MS, () => `no delivery arrived; worker output:\n${output}`);
        child.kill('SIGTERM');
        const code = await exited;

        assert.equal(code, 0, output);
        assert.equal(receiver.posts.length, 1);
        assert.equal(receiver.posts[0]!.verified, true);
        assert.equal(receiver.posts[0]!.body.sku, 'TOTE');
        assert.match(output, /"msg":"stopped"/);
        const secrets = join(dataDir, 'secrets.json');
        assert.ok(existsSync(secrets), 'the worker stored a generated link secret');
        assert.equal(statSync(secrets).mode & 0o777, 0o600);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        await receiver.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );
});
