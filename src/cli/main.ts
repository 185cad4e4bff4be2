#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { readSettings } from './config.js';
import { runCheck } from './check.js';
import { runMigrate } from './migrate.js';
import { runServe } from './serve.js';

const USAGE = `Usage: restock <command> [options]

Commands:
  serve     Migrate the database and serve the HTTP API
  migrate   Apply pending database migrations and exit
  check     Report every broken invariant of a live database

Every command takes --help. The database comes from RESTOCK_DB (a SQLite
file path or a postgres:// URL; default ./data/restock.db) or --db.
`;

const HELP: Record<string, string> = {
  serve: `Usage: restock serve [--db URL] [--port N] [--host ADDRESS]

Migrates the database, then serves the HTTP API on HOST:PORT
(default 127.0.0.1:4000). Stops gracefully on SIGTERM and SIGINT.
  --db URL        SQLite file path or postgres:// URL (default RESTOCK_DB or ./data/restock.db)
  --port N        TCP port (default PORT or 4000)
  --host ADDRESS  address to listen on (default HOST or 127.0.0.1)
`,
  migrate: `Usage: restock migrate [--db URL]

Applies every pending migration and prints their names.
  --db URL   SQLite file path or postgres:// URL (default RESTOCK_DB or ./data/restock.db)
`,
  check: `Usage: restock check [--db URL] [--json]

Reads the database and reports every broken invariant with the ids
involved. Exits 0 when all hold and 1 when any is broken.
  --db URL   SQLite file path or postgres:// URL (default RESTOCK_DB or ./data/restock.db)
  --json     print the report as JSON
`,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 1 : 0;
  }
  if (!(command in HELP)) {
    process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
    return 2;
  }

  const { values } = parseArgs({
    args: rest,
    options: {
      help: { type: 'boolean', short: 'h' },
      db: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP[command]!);
    return 0;
  }

  const settings = readSettings({
    ...process.env,
    ...(values.db ? { RESTOCK_DB: values.db } : {}),
    ...(values.port ? { PORT: values.port } : {}),
    ...(values.host ? { HOST: values.host } : {}),
  });

  switch (command) {
    case 'check':
      return runCheck(settings.databaseUrl, values.json ?? false);
    case 'migrate':
      return runMigrate(settings.databaseUrl);
    default:
      return runServe(settings);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`restock: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
