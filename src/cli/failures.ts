// `dovetail failures` and `dovetail retry <id>`: the failure list, in plain words.
import { openStorage } from '../engine/open.js';
import { explain, settingsOrExplain } from './shared.js';

export async function failuresCommand(file: string): Promise<number> {
  const config = settingsOrExplain(file);
  if (!config) return 2;
  try {
    const storage = await openStorage(config);
    const failures = await storage.failures();
    if (!failures.length) console.log('No failures.');
    for (const f of failures) console.log(`#${f.id}  ${f.kind} ${f.key}  (${f.failureKind}, ${f.attempts} attempt${f.attempts > 1 ? 's' : ''}, ${f.updatedAt})\n      ${f.lastError}`);
    await storage.close();
    return 0;
  } catch (err) {
    return explain(err);
  }
}

export async function retryCommand(file: string, id: number): Promise<number> {
  const config = settingsOrExplain(file);
  if (!config) return 2;
  try {
    const storage = await openStorage(config);
    const ok = await storage.retry(id);
    console.log(ok ? `#${id} is back in the queue; a running engine picks it up within one poll.` : `#${id} is not on the failure list.`);
    await storage.close();
    return ok ? 0 : 1;
  } catch (err) {
    return explain(err);
  }
}
