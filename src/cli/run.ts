// `dovetail run`: the engine and its HTTP server until SIGINT / SIGTERM; a clean stop lets the
// current step finish, so nothing is left half-recorded (and a hard kill is recovered anyway).
import { Engine } from '../engine/engine.js';
import { openContext } from '../engine/open.js';
import { createLogger } from '../log.js';
import { buildApp, listen } from '../server/http.js';
import { explain, settingsOrExplain } from './shared.js';

export async function runCommand(file: string): Promise<number> {
  const config = settingsOrExplain(file);
  if (!config) return 2;
  const log = createLogger();
  try {
    const ctx = await openContext(config, log);
    const engine = new Engine(ctx);
    const server = await listen(buildApp(engine), config.server.host, config.server.port);
    log.info({ url: `http://${config.server.host}:${config.server.port}` }, 'dovetail is running');
    const stop = new AbortController();
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { log.info({ signal: sig }, 'stopping after the current step'); stop.abort(); });
    await engine.run(stop.signal);
    await new Promise((r) => server.close(r));
    await ctx.storage.close();
    log.info('stopped cleanly');
    return 0;
  } catch (err) {
    return explain(err);
  }
}
