// The soak's fault proxy: a short plan's few requests still meet every kind of fault it asks for,
// and a drawn fault does what it says (the request reaches the system or not, an answer or not).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { FaultProxy, type FaultRates } from '../soak/fault-proxy.js';

async function upstream(): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = http.createServer((req, res) => { hits++; req.resume(); req.on('end', () => res.end('x'.repeat(2_000))); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

/** One request through the proxy: its status, or what broke. */
async function call(url: string): Promise<number | 'broken'> {
  try {
    const res = await fetch(url, { method: 'POST', body: 'hello', signal: AbortSignal.timeout(2_000) });
    await res.text();
    return res.status;
  } catch { return 'broken'; }
}

test('every fault kind the plan asks for fires at least once, even when its draws alone would leave one out', async () => {
  const system = await upstream();
  // low rates over few requests: seed 7's draws alone give no 503 in these 40 requests
  const rates: FaultRates = { latency: 0.03, rateLimited: 0.03, badGateway: 0.03, unavailable: 0.03, resetMidRequest: 0.03, resetMidResponse: 0.03, hang: 0.03 };
  const proxy = await FaultProxy.start({ target: system.url, seed: 7, rates, latencyMs: 20, hangMs: 50 });
  try {
    proxy.setFaults(true);
    const answers = [];
    for (let i = 0; i < 40; i++) answers.push(await call(proxy.url));
    for (const kind of Object.keys(rates) as (keyof FaultRates)[]) assert.ok(proxy.counts[kind] >= 1, `${kind} fired (${JSON.stringify(proxy.counts)})`);
    assert.equal(proxy.requests, 40);
    assert.ok(answers.includes(429) && answers.includes(502) && answers.includes(503) && answers.includes('broken'), `answers: ${answers.join(' ')}`);
    // a reset before forwarding and a hang never reach the system; every other request does
    assert.equal(system.hits(), 40 - proxy.counts.resetMidRequest - proxy.counts.hang - proxy.counts.rateLimited - proxy.counts.badGateway - proxy.counts.unavailable);
  } finally {
    await proxy.close();
    await system.close();
  }
});
