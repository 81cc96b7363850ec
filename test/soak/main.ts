// `npm run soak`: the fault soak from the command line, its plan, backend and worker count given
// as options; prints the summary table and exits non-zero when anything was lost, doubled or left apart.
import { parseArgs } from 'node:util';
import { PLANS, passed, runSoak, summary, type Backend } from './soak.js';

const { values } = parseArgs({ options: {
  plan: { type: 'string', default: 'long' },
  backend: { type: 'string', default: 'sqlite' },
  workers: { type: 'string', default: '1' },
  seed: { type: 'string', default: '13' },
} });
const plan = PLANS[values.plan as keyof typeof PLANS];
if (!plan) throw new Error(`--plan must be one of ${Object.keys(PLANS).join(', ')} (got ${values.plan})`);
if (values.backend !== 'sqlite' && values.backend !== 'postgres') throw new Error(`--backend must be sqlite or postgres (got ${values.backend})`);

// Ctrl-C or a timeout: exit handlers stop the Vendure and the workers this run started
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const started = Date.now();
const report = await runSoak({
  plan, backend: values.backend as Backend, workers: Number(values.workers), seed: Number(values.seed),
  log: (line) => console.error(`[soak ${Math.round((Date.now() - started) / 1000)} s] ${line}`),
}).catch((err: unknown) => {
  // a soak that could not run (bad options, a system that would not start) is not a verdict
  console.error(`soak not run to the end: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
console.log(summary(report));
process.exit(passed(report) ? 0 : 1);
