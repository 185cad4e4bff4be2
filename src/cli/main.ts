#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { readSettings } from './config.js';
import { DELAY_REVIEW_HELP, OUTBOX_SETTINGS_HELP } from './outbox-help.js';
import { rerunWithLargerYoungGeneration } from './young-generation.js';

interface CommandModule {
  help: string;
  run(argv: string[]): Promise<number>;
}

/**
 * A command's module is loaded only when the command runs, so that --help
 * and the data commands start without loading the HTTP server.
 */
interface Command {
  summary: string;
  load(): Promise<CommandModule>;
  /** Runs in a child process with larger young-generation semi-spaces (see young-generation.ts). */
  largeYoungGeneration?: boolean;
}

const DB_OPTION = `  --db URL        SQLite file path or postgres:// URL
                  (default RESTOCK_DB or ./data/restock.db)`;

const SERVE_HELP = `Usage: restock serve [--db URL] [--port N] [--host ADDRESS] [--demo]

Migrates the database, then serves the HTTP API on HOST:PORT
(default 127.0.0.1:4000) and runs the outbox dispatcher (webhooks and
e-mail; RESTOCK_DISPATCHER=off leaves it to restock worker). With the
dispatcher on, it runs the delay review as well. Stops gracefully on
SIGTERM and SIGINT.
${DB_OPTION}
  --port N        TCP port (default PORT or 4000)
  --host ADDRESS  address to listen on (default HOST or 127.0.0.1)
  --demo          load the demo store (a slice of a real shop's orders) into
                  an empty database first; a database with data is left alone

${DELAY_REVIEW_HELP}

Settings (environment):
  RESTOCK_DISPATCHER      on or off: run the dispatcher and the delay review
                          in this process (default on)
${OUTBOX_SETTINGS_HELP}`;

const MIGRATE_HELP = `Usage: restock migrate [--db URL]

Applies every pending migration and prints their names.
${DB_OPTION}
`;

const CHECK_HELP = `Usage: restock check [--db URL] [--json]

Reads the database and reports every broken invariant with the ids
involved. Exits 0 when all hold and 1 when any is broken.
${DB_OPTION}
  --json          print the report as JSON
`;

/** Builds the loader of a command whose options are parsed in this file: serve, migrate and check. */
function databaseCommand(name: 'serve' | 'migrate' | 'check', help: string): () => Promise<CommandModule> {
  return async () => ({ help, run: (argv) => runDatabaseCommand(name, argv) });
}

const COMMANDS: Record<string, Command> = {
  serve: { summary: 'Migrate the database and serve the HTTP API', load: databaseCommand('serve', SERVE_HELP) },
  migrate: { summary: 'Apply pending database migrations and exit', load: databaseCommand('migrate', MIGRATE_HELP) },
  check: { summary: 'Report every broken invariant of a live database', load: databaseCommand('check', CHECK_HELP) },
  worker: {
    summary: 'Deliver webhooks and e-mail from the outbox, without the HTTP API',
    load: async () => {
      const { WORKER_HELP, runWorker } = await import('./worker.js');
      return { help: WORKER_HELP, run: runWorker };
    },
  },
  import: {
    summary: 'Import SKUs, stock levels, purchase orders or open backorders from CSV',
    load: async () => {
      const { IMPORT_HELP, runImport } = await import('./import.js');
      return { help: IMPORT_HELP, run: runImport };
    },
  },
  export: {
    summary: 'Export SKUs, stock, purchase orders, the backorder queue or the ledger as CSV',
    load: async () => {
      const { EXPORT_HELP, runExport } = await import('./export.js');
      return { help: EXPORT_HELP, run: runExport };
    },
  },
  'review-delays': {
    summary: 'Run the delay review now and print what it did',
    load: async () => {
      const { REVIEW_DELAYS_HELP, runReviewDelays } = await import('./review-delays.js');
      return { help: REVIEW_DELAYS_HELP, run: runReviewDelays };
    },
  },
  replay: {
    summary: 'Replay an order history through the engine and report what backorders would have done',
    largeYoungGeneration: true,
    load: async () => {
      const { REPLAY_HELP, runReplay } = await import('./replay.js');
      return { help: REPLAY_HELP, run: runReplay };
    },
  },
};

const USAGE = `Usage: restock <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(13)} ${command.summary}`)
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
  const loaded = await command.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(loaded.help);
    return 0;
  }

  if (command.largeYoungGeneration) {
    const rerun = rerunWithLargerYoungGeneration();
    if (rerun) return await rerun;
  }

  try {
    return await loaded.run(rest);
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
      ...(command === 'serve' ? { port: { type: 'string' }, host: { type: 'string' }, demo: { type: 'boolean' } } : {}),
      ...(command === 'check' ? { json: { type: 'boolean' } } : {}),
    },
    strict: true,
  }) as { values: { db?: string; port?: string; host?: string; json?: boolean; demo?: boolean } };

  const settings = readSettings({
    ...process.env,
    ...(values.db ? { RESTOCK_DB: values.db } : {}),
    ...(values.port ? { PORT: values.port } : {}),
    ...(values.host ? { HOST: values.host } : {}),
  });

  switch (command) {
    case 'check':
      return (await import('./check.js')).runCheck(settings.databaseUrl, values.json ?? false);
    case 'migrate':
      return (await import('./migrate.js')).runMigrate(settings.databaseUrl);
    case 'serve':
      return (await import('./serve.js')).runServe({ ...settings, demo: values.demo ?? false });
  }
}

// A reader that closes the pipe early, such as `| head`, has all it wants,
// so the command ends quietly instead of failing on the next write.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`restock: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
