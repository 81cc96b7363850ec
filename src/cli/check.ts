// `dovetail check`: the settings are valid, which answers this version carries out, and
// whether both systems answer with the credentials given.
import { coverage, settingsThisVersionCannotRun } from '../config/coverage.js';
import { displayNameOf } from '../connectors/registry.js';
import { openContext } from '../engine/open.js';
import { messageOf } from '../errors.js';
import { createLogger } from '../log.js';
import { settingsOrExplain } from './shared.js';

export async function checkCommand(file: string, opts: { offline?: boolean }): Promise<number> {
  const config = settingsOrExplain(file);
  if (!config) return 2;
  console.log(`Settings in ${file} are valid.`);
  console.log(`Joining the online store ${displayNameOf(config.systems.store.type)} to the inventory system ${displayNameOf(config.systems.inventory.type)}.\n`);
  const rows = coverage(config);
  const missing = rows.filter((r) => !r.carriedOut);
  for (const r of rows) {
    const status = !r.carriedOut ? 'NOT YET' : r.inPart ? 'in part' : 'ok     ';
    console.log(`  ${status}  ${r.key} = ${r.answer}${!r.carriedOut ? `: ${r.note}` : r.inPart ? `: ${r.inPart}` : ''}`);
  }
  console.log(missing.length ? `\n${missing.length} of the chosen answers are not carried out by this version yet.` : '\nEvery chosen answer is carried out.');
  const cannotRun = settingsThisVersionCannotRun(config);
  if (cannotRun.length) {
    console.log('\nThis version cannot run with these settings (`dovetail run` would stop at start):');
    for (const r of cannotRun) console.log(`  ${r.key} = ${r.answer}: ${r.note}`);
    return 2;
  }
  if (opts.offline) return 0;
  let failed = false;
  let ctx;
  try {
    ctx = await openContext(config, createLogger('silent'));
  } catch (err) {
    console.log(`\n  cannot start: ${messageOf(err)}`);
    return 1;
  }
  for (const connector of [ctx.inventory, ctx.store]) {
    try {
      const { version } = await connector.ping();
      console.log(`  ${connector.system}: reachable, ${version}`);
    } catch (err) {
      failed = true;
      console.log(`  ${connector.system}: NOT reachable: ${messageOf(err)}`);
    }
  }
  await ctx.storage.close();
  return failed ? 1 : 0;
}
