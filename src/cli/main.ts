#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { readSettings } from './config.js';
import { runCheck } from './check.js';
import { EXPORT_HELP, runExport } from './export.js';
import { IMPORT_HELP, runImport } from './import.js';
import { runMigrate } from './migrate.js';
import { REPLAY_HELP, runReplay } from './replay.js';
import { runServe } from './serve.js';

interface Command {
  summary: string;
  help: string;
  run(argv: string[]): Promise<number>;
}

const DB_OPTION = '  --db URL        SQLite file path or postgres:// URL (default RESTOCK_DB or ./data/restock.db)';

const COMMANDS: Record<string, Command> = {
  serve: {
    summary: 'Migrate the database and serve the HTTP API',
    help: `Usage: restock serve [--db URL] [--port N] [--host ADDRESS]

Migrates the database, then serves the HTTP API on HOST:PORT
(default 127.0.0.1:4000). Stops gracefully on SIGTERM and SIGINT.
${DB_OPTION}
  --port N        TCP port (default PORT or 4000)
  --host ADDRESS  address to listen on (default HOST or 127.0.0.1)
`,
    run: (argv) => runDatabaseCommand('serve', argv),
  },
  migrate: {
    summary: 'Apply pending database migrations and exit',
    help: `Usage: restock migrate [--db URL]

Applies every pending migration and prints their names.
${DB_OPTION}
`,
    run: (argv) => runDatabaseCommand('migrate', argv),
  },
  check: {
    summary: 'Report every broken invariant of a live database',
    help: `Usage: restock check [--db URL] [--json]

Reads the database and reports every broken invariant with the ids
involved. Exits 0 when all hold and 1 when any is broken.
${DB_OPTION}
  --json          print the report as JSON
`,
    run: (argv) => runDatabaseCommand('check', argv),
  },
  import: { summary: 'Import SKUs, stock levels, purchase orders or open backorders from CSV', help: IMPORT_HELP, run: runImport },
  export: { summary: 'Export SKUs, stock, purchase orders, the backorder queue or the ledger as CSV', help: EXPORT_HELP, run: runExport },
  replay: { summary: 'Replay an order history through the engine and report what backorders would have done', help: REPLAY_HELP, run: runReplay },
};

const USAGE = `Usage: restock <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(9)} ${command.summary}`)
  .join('\n')}

Every command takes --help. The database comes from RESTOCK_DB (a SQLite
file path or a postgres:// URL; default ./data/restock.db) or --db.
`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name === undefined ? 1 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`Unknown command "${name}".\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help);
    return 0;
  }

  try {
    return await command.run(rest);
  } catch (error) {
    // parseArgs rejects unknown options and missing option values with these codes.
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      process.stderr.write(`${(error as Error).message}\nRun "restock ${name} --help" for the options.\n`);
      return 2;
    }
    throw error;
  }
}

async function runDatabaseCommand(command: 'serve' | 'migrate' | 'check', argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      db: { type: 'string' },
      ...(command === 'serve' ? { port: { type: 'string' }, host: { type: 'string' } } : {}),
      ...(command === 'check' ? { json: { type: 'boolean' } } : {}),
    },
    strict: true,
  }) as { values: { db?: string; port?: string; host?: string; json?: boolean } };

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
    case 'serve':
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
