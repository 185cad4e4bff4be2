import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPurchaseOrder } from '../../src/app/purchase-orders.js';
import { givenSku, placeAccepted, skuView } from '../support/builders.js';
import { openTestStore, testDatabase, type TestStore } from '../support/database.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const FIXTURES = join(ROOT, 'test/fixtures');
const COMMANDS = ['serve', 'migrate', 'check', 'worker', 'import', 'export', 'review-delays', 'replay'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source in a child process and resolves with its exit code and output. */
function restock(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args],
      { cwd: ROOT, timeout: 30_000, env },
      (error, stdout, stderr) => {
        let code = 0;
        if (error) code = typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Returns the --db value that reaches the test store's database, its PostgreSQL schema included. */
function databaseUrl(t: TestStore): string {
  if (t.schema === undefined) return t.url;
  return `${t.url}?options=${encodeURIComponent(`-c search_path=${t.schema}`)}`;
}

describe(`restock command line (${testDatabase})`, () => {
  it('every command prints its help', async () => {
    const runs = await Promise.all(COMMANDS.map((command) => restock([command, '--help'])));

    for (const [index, run] of runs.entries()) {
      const command = COMMANDS[index]!;
      assert.equal(run.code, 0, `${command} --help exited ${run.code}: ${run.stderr}`);
      assert.ok(run.stdout.startsWith(`Usage: restock ${command}`), `${command} --help printed:\n${run.stdout}`);
    }
  });

  it('serve and worker help list outbox settings', async () => {
    const settings = ['RESTOCK_SMTP_URL', 'RESTOCK_MAIL_FROM', 'RESTOCK_MERCHANT_EMAIL', 'RESTOCK_PUBLIC_URL', 'RESTOCK_LINK_SECRET'];

    for (const command of ['serve', 'worker']) {
      const run = await restock([command, '--help']);
      const longLines = run.stdout.split('\n').filter((line) => line.length >= 80);

      assert.match(run.stdout, /delay review runs at start and every 10 minutes/, `${command} --help`);
      for (const setting of settings) assert.ok(run.stdout.includes(setting), `${command} --help does not list ${setting}`);
      assert.deepEqual(longLines, [], `${command} --help has lines of 80 columns or more`);
    }
  });

  it('top-level help lists every command', async () => {
    const run = await restock(['--help']);

    assert.equal(run.code, 0);
    const listed = run.stdout.split('\n').filter((line) => /^ {2}\w/.test(line)).map((line) => line.trim().split(/\s+/)[0]);
    assert.deepEqual(listed, COMMANDS);
  });

  it('unknown command exits with usage', async () => {
    const run = await restock(['imprt']);

    assert.equal(run.code, 2);
    assert.ok(run.stderr.startsWith('Unknown command "imprt".'), run.stderr);
  });

  it('unknown option names the command help', async () => {
    const run = await restock(['export', 'skus', '--output', 'x.csv']);

    assert.equal(run.code, 2);
    assert.match(run.stderr, /Unknown option '--output'/);
    assert.match(run.stderr, /Run "restock export --help" for the options\./);
  });

  it('imports files and exports them again', async () => {
    const t = await openTestStore();
    try {
      const db = databaseUrl(t);

      const imported = await restock(['import', 'skus', join(FIXTURES, 'skus.csv'), 'stock', join(FIXTURES, 'stock.csv'), '--db', db]);

      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stdout, /^Imported 3 SKUs, 2 stock levels from skus\.csv, stock\.csv into .+ in \d+\.\d s\.\n$/);
      assert.equal((await skuView(t.store, 'MUG-RED')).on_hand, 12);

      const exported = await restock(['export', 'stock', '--db', db]);
      assert.equal(exported.code, 0, exported.stderr);
      assert.equal(exported.stdout, 'sku,location,on_hand,allocated,available\nLAMP-01,main,0,0,0\nMUG-RED,main,12,0,12\nTOTE-NAVY,main,4,0,4\n');

      const checked = await restock(['check', '--db', db]);
      assert.equal(checked.code, 0, checked.stdout);
    } finally {
      await t.close();
    }
  });

  it('review-delays sends the notices due', async () => {
    const t = await openTestStore();
    try {
      // The command runs on the real clock, so the order is placed 60 days ago with supply due 40 days ago: its date has passed.
      const day = 24 * 3600_000;
      t.clock.set(new Date(Date.now() - 60 * day));
      const expectedDate = new Date(Date.now() - 40 * day).toISOString().slice(0, 10);
      await givenSku(t.store, 'TOTE', { policy: 'backorder' });
      await t.store.transaction((work) => createPurchaseOrder(work, { reference: 'PO-1', expectedDate, lines: [{ sku: 'TOTE', quantity: 5 }] }));
      const order = await placeAccepted(t.store, [['TOTE', 2, 1500]]);

      const run = await restock(['review-delays', '--db', databaseUrl(t)]);
      const again = await restock(['review-delays', '--db', databaseUrl(t), '--json']);

      assert.equal(run.code, 0, run.stderr);
      const notice = await t.store.db.selectFrom('delay_notices').select(['id', 'late']).where('order_id', '=', order.id).executeTakeFirstOrThrow();
      assert.equal(notice.late, 1);
      assert.match(run.stdout, /: 1 orders reviewed, 1 notices sent, 0 delays accepted by silence, 0 cancellations, 0 notices resolved\.\n/);
      assert.ok(run.stdout.includes(`notice sent     ${notice.id} order ${order.id} (first, explicit consent, late)`), run.stdout);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(JSON.parse(again.stdout).notices_sent, [], 'the second run finds nothing due');
    } finally {
      await t.close();
    }
  });

  it('review-delays needs an existing database file', async () => {
    const run = await restock(['review-delays', '--db', '/nonexistent/restock.db']);

    assert.equal(run.code, 2);
    assert.match(run.stderr, /^No database file at \/nonexistent\/restock\.db; pass --db or set RESTOCK_DB/);
  });

  it('serve exits on a port in use', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'restock-busy-port-'));
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as AddressInfo).port;

    try {
      const run = await restock(['serve'], { ...process.env, HOST: '127.0.0.1', PORT: String(port), RESTOCK_DATA_DIR: dataDir, RESTOCK_DB: join(dataDir, 'restock.db') });

      assert.equal(run.code, 1);
      assert.match(run.stderr, new RegExp(`Failed to listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*set PORT to a free one`));
    } finally {
      await new Promise((resolve) => busy.close(resolve));
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('replay rejects bad input with exit 2', async () => {
    const history = join(ROOT, 'data-demo/online-retail-slice.csv');
    const cases: [string[], RegExp][] = [
      [['/nonexistent/orders.csv'], /^restock replay: History file not found: \/nonexistent\/orders\.csv\. Name an order history CSV file/],
      [[history, '--from', '2011-13-01'], /^restock replay: --from must be a date such as 2011-06-01, not "2011-13-01"/],
      [[history, '--compare-policies', '--policy', 'stock_only'], /^restock replay: --compare-policies replays under both policies; leave out --policy/],
      [[history, '--report', '/nonexistent/report.html'], /^restock replay: --report: folder \/nonexistent not found/],
    ];

    for (const [args, message] of cases) {
      const run = await restock(['replay', ...args]);

      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, message);
    }
  });

  it('invalid import exits 1 and lists the problems', async () => {
    const t = await openTestStore();
    try {
      const run = await restock(['import', 'skus', join(FIXTURES, 'skus-invalid.csv'), '--db', databaseUrl(t)]);

      assert.equal(run.code, 1);
      const lines = run.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 6);
      assert.equal(lines[1], 'skus-invalid.csv row 4, column backorder_limit: "12x" is not a whole number; use digits only, or leave it empty for no limit.');
      assert.equal(lines[5], '5 problems found; nothing was written. Fix them and run the import again.');
      assert.equal(run.stdout, '');
    } finally {
      await t.close();
    }
  });
});
