// `dovetail run`: the engine and its HTTP server until SIGINT / SIGTERM; a clean stop lets the
// current step finish, so nothing is left half-recorded (and a hard kill is recovered anyway).
import { Engine } from '../engine/engine.js';
import { openContext } from '../engine/open.js';
import { messageOf } from '../errors.js';
import { createLogger } from '../log.js';
import { buildApp, listen } from '../server/http.js';
import { explain, settingsOrExplain } from './shared.js';
import { onStopSignals } from './signals.js';

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
    const signals = onStopSignals({
      gently: (signal) => { log.info({ signal }, 'stopping after the current step (send the signal again to stop at once)'); stop.abort(); },
      atOnce: async () => {
        const released = await engine.runner.releaseHeld();
        log.warn({ released }, 'stopped at once; the jobs in hand are back in the queue');
      },
    });
    let code = 0;
    try {
      await engine.run(stop.signal);
    } catch (err) {
      // The loop mends its own failures; one that escapes is a bug: stop rather than answer
      // webhooks with 200 while nothing works on them.
      log.fatal({ err: messageOf(err) }, 'the engine stopped unexpectedly');
      code = 1;
    } finally {
      signals.dispose();
      await new Promise((r) => { server.close(r); (server as { closeAllConnections?: () => void }).closeAllConnections?.(); });
      await ctx.storage.close();
    }
    if (!code) log.info('stopped cleanly');
    return code;
  } catch (err) {
    return explain(err);
  }
}
