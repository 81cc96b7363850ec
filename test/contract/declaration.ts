// The checks every connector gets, whichever side it is on: it declares what its descriptor
// declares, answers ping, and carries each capability group whole or has capability() refuse it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DovetailError } from '../../src/errors.js';
import { ALL_CAPABILITIES, hasCapability } from '../../src/connectors/types.js';
import type { InventoryConnector, StoreConnector } from '../../src/connectors/types.js';

const isConfigError = (e: unknown) => e instanceof DovetailError && e.kind === 'config';

export function declarationChecks<S extends 'store' | 'inventory'>(side: S, subject: { name: string; declared: readonly string[]; checked: readonly string[] }, o: {
  connector: () => StoreConnector | InventoryConnector;
  /** capability() for this side: the group, or the config error refusing it */
  reach: (group: (typeof ALL_CAPABILITIES)[S][number]) => unknown;
  /** every method of each group */
  methods: Record<(typeof ALL_CAPABILITIES)[S][number], readonly PropertyKey[]>;
}): void {
  test('declares what its descriptor declares', (t) => {
    if (!subject.checked.includes('feeds')) t.diagnostic(`feeds: readChanges paging is not checked against ${subject.name} yet`);
    assert.deepEqual([...o.connector().capabilities].sort(), [...subject.declared].sort());
  });

  test('ping answers with what it reached', async () => {
    const { version } = await o.connector().ping();
    assert.equal(typeof version, 'string');
    assert.ok(version.length > 0);
  });

  for (const g of ALL_CAPABILITIES[side] as (typeof ALL_CAPABILITIES)[S][number][]) {
    const declared = hasCapability({ side, capabilities: subject.declared }, g);
    test(declared ? `${g}: declared and carried whole, reached through capability()` : `${g}: not carried, so capability() refuses it`, (t) => {
      assert.equal(hasCapability(o.connector(), g), declared, 'the connector declares what its descriptor does');
      if (!declared) {
        assert.throws(() => o.reach(g), isConfigError, `${g} is not declared, so capability() must refuse it`);
        return;
      }
      // said in the run's output, so a group whose promises go unchecked is never mistaken for a passed one
      if (!subject.checked.includes(g)) t.diagnostic(`${g}: declared, but its promises are not checked against ${subject.name} yet`);
      const carried = o.reach(g) as Record<PropertyKey, unknown>;
      for (const m of o.methods[g]) assert.equal(typeof carried[m], 'function', `${g}.${String(m)}`);
    });
  }
}
