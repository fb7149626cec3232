// The `tokend` command: the same services as the server, no HTTP. `serve` runs the server; every other
// command opens the database, does one thing and exits (on the embedded database it refuses while a
// server holds the data folder).
import { Command, CommanderError } from '@commander-js/extra-typings';
import { registerAccountCommands } from './cli/accounts.js';
import { CliFailure, withContext } from './cli/context.js';
import { registerPermissionCommands } from './cli/permissions.js';
import { registerReminderCommands } from './cli/reminders.js';
import { registerScanCommand } from './cli/scan.js';
import { registerTokenCommands } from './cli/tokens.js';
import { ConfigError } from './config.js';
import { DataDirBusy } from './data-lock.js';
import { serve } from './main.js';

export function buildProgram(): Command {
  const program = new Command('tokend')
    .description('Self-hostable API-token service. Settings come from the environment (see README).')
    .showHelpAfterError()
    .exitOverride();
  program
    .command('serve')
    .description('run the HTTP server (and the reminder sweep)')
    .action(() => serve());
  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(() =>
      withContext(() => {
        process.stdout.write('database is up to date\n');
      }),
    );
  registerAccountCommands(program);
  registerTokenCommands(program);
  registerReminderCommands(program);
  registerPermissionCommands(program);
  registerScanCommand(program);
  return program;
}

export async function run(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof CliFailure) {
      process.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof ConfigError || error instanceof DataDirBusy) {
      process.stderr.write(`error: ${error.message}\n`);
      return error instanceof ConfigError ? 2 : 1;
    }
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
