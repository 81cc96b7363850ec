// The `dovetail` command line: one file per command, wired here.
import { Command } from 'commander';
import { checkCommand } from './check.js';
import { runCommand } from './run.js';
import { syncCommand } from './sync.js';
import { failuresCommand, retryCommand } from './failures.js';
import { initCommand } from './init.js';
import { reportCommand } from './report.js';
import { statusCommand } from './status.js';
import { pruneCommand } from './prune.js';
import { reconcileCommand } from './reconcile.js';

const program = new Command('dovetail')
  .description('Joins an online store to an inventory system, as dovetail.yaml says.')
  .option('-c, --config <file>', 'settings file', process.env.DOVETAIL_CONFIG ?? 'dovetail.yaml');

const configFile = () => program.opts<{ config: string }>().config;

program.command('check').description('validate the settings, say which answers this version carries out, and reach both systems')
  .option('--offline', 'only validate the settings').action(async (o: { offline?: boolean }) => { process.exitCode = await checkCommand(configFile(), o); });
program.command('run').description('run the engine (polling, webhooks, jobs) until stopped (Ctrl-C or SIGTERM)')
  .action(async () => { process.exitCode = await runCommand(configFile()); });
program.command('sync').argument('<kind>', 'products | stock | customers | orders').description('first full load of one kind of record, in batches')
  .action(async (kind: string) => { process.exitCode = await syncCommand(configFile(), kind); });
program.command('failures').description('list what failed for good, with the reason')
  .action(async () => { process.exitCode = await failuresCommand(configFile()); });
program.command('retry').argument('<id>', 'failure id (see `dovetail failures`)').description('send a failure back to the queue')
  .action(async (id: string) => { process.exitCode = await retryCommand(configFile(), Number(id)); });
program.command('init').description('answer the checklist, one question at a time, and write a commented dovetail.yaml')
  .option('--force', 'replace an existing file').action(async (o: { force?: boolean }) => { process.exitCode = await initCommand(configFile(), o); });
program.command('report').description('the answered checklist as a requirements document (Markdown or HTML)')
  .option('--format <format>', 'md or html', 'md').option('--out <file>', 'write to this file instead of the screen')
  .action(async (o: { format?: string; out?: string }) => { process.exitCode = await reportCommand(configFile(), o); });
program.command('status').description('the state of each flow: queue, failures, last move, read positions')
  .action(async () => { process.exitCode = await statusCommand(configFile()); });
program.command('prune').description('delete old received changes, finished jobs and audit entries now, as housekeeping.* says (`run` does it every hour)')
  .option('--vacuum', 'also rewrite the SQLite file to its smallest size (holds the file while it runs)')
  .action(async (o: { vacuum?: boolean }) => { process.exitCode = await pruneCommand(configFile(), o); });
program.command('reconcile').argument('[kind...]', 'products | stock | customers | orders | money | phoneOrders (default: all)')
  .description('compare both systems record by record and list the drift; exit code 1 when there is some')
  .option('--repair', 'queue (and run) what makes the non-master agree').option('--json', 'the report as JSON')
  .action(async (kinds: string[], o: { repair?: boolean; json?: boolean }) => { process.exitCode = await reconcileCommand(configFile(), kinds, o); });

await program.parseAsync();
