import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { skuView } from '../support/builders.js';
import { openTestStore, testDatabase, type TestStore } from '../support/database.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const FIXTURES = join(ROOT, 'test/fixtures');
const COMMANDS = ['serve', 'migrate', 'check', 'worker', 'import', 'export', 'replay'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source in a child process and resolves with its exit code and output. */
function restock(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args],
      { cwd: ROOT, timeout: 30_000 },
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
