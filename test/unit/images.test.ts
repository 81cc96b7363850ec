// The pure parts of the product images flow: how both sides are compared, what the rules decide,
// which uploads, moves and removals make the other side match, and the names Vendure assets get.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageSetOf } from '../../src/model/image.js';
import { decideImages, planImages } from '../../src/rules/images.js';
import { shaInName, uploadName } from '../../src/connectors/vendure/images.js';
import { plainImageName } from '../../src/connectors/image-files.js';

const A = 'a'.repeat(64), B = 'b'.repeat(64), C = 'c'.repeat(64);
const config = (productImages: 'store' | 'inventory', onConflict: 'revert' | 'flag' = 'revert') =>
  ({ master: { productImages }, ownership: { onConflict } }) as unknown as Parameters<typeof decideImages>[0]['config'];

test('imageSetOf: order kept, the same bytes once, the featured one the marked one or else the first', () => {
  assert.deepEqual(imageSetOf([{ sha256: A, featured: false }, { sha256: B, featured: true }]), { order: [A, B], featured: B });
  assert.deepEqual(imageSetOf([{ sha256: B, featured: false }, { sha256: A, featured: false }, { sha256: B, featured: false }]), { order: [B, A], featured: B });
  assert.deepEqual(imageSetOf([]), { order: [], featured: null });
});

test('decideImages: alike is nothing to do; a master change or a first sync propagates; the other side\'s edit is reverted or flagged', () => {
  const ab = { order: [A, B], featured: A };
  const ba = { order: [B, A], featured: A };
  const abFeaturedB = { order: [A, B], featured: B };
  assert.equal(decideImages({ master: ab, other: ab, lastSynced: undefined, config: config('store') }).action, 'ignore');
  assert.equal(decideImages({ master: ab, other: { order: [], featured: null }, lastSynced: undefined, config: config('store') }).action, 'propagate');
  assert.equal(decideImages({ master: ba, other: ab, lastSynced: ab, config: config('store') }).action, 'propagate', 'the master re-ordered');
  assert.equal(decideImages({ master: abFeaturedB, other: ab, lastSynced: ab, config: config('inventory') }).action, 'propagate', 'the master featured another');
  assert.equal(decideImages({ master: ba, other: { order: [A], featured: A }, lastSynced: ab, config: config('store') }).action, 'propagate', 'a master change wins over an edit meanwhile');
  const reverted = decideImages({ master: ab, other: ba, lastSynced: ab, config: config('store') });
  assert.equal(reverted.action, 'revert');
  assert.match('why' in reverted ? reverted.why : '', /changed in the inventory system, but the store is their master \(master\.productImages=store\).*ownership\.onConflict=revert/);
  const flagged = decideImages({ master: ab, other: { order: [A, B, C], featured: A }, lastSynced: ab, config: config('inventory', 'flag') });
  assert.equal(flagged.action, 'flag');
  assert.match('why' in flagged ? flagged.why : '', /changed in the store, but the inventory system is their master \(master\.productImages=inventory\)/);
});

test('planImages: keeps what the other side has (by hash), uploads the rest, takes off the extra and the doubles', () => {
  assert.deepEqual(planImages({ order: [B, A, C], featured: C }, [{ ref: '1', sha256: A }, { ref: '2', sha256: B }, { ref: '3', sha256: A }, { ref: '4', sha256: 'd'.repeat(64) }]), {
    wanted: [{ sha256: B, ref: '2' }, { sha256: A, ref: '1' }, { sha256: C, ref: null }],
    remove: ['3', '4'],
  });
  assert.deepEqual(planImages({ order: [], featured: null }, [{ ref: '1', sha256: A }]), { wanted: [], remove: ['1'] });
});

test('Vendure upload names carry the hash before the extension, and the hash is read back from them only', () => {
  const name = uploadName({ name: 'front.png', sha256: A });
  assert.equal(name, `front.${A}.png`);
  assert.equal(shaInName(name), A);
  assert.equal(uploadName({ name: `01 front.${B}.png`, sha256: A }), `01 front.${A}.png`, 'an earlier hash is replaced, not added to');
  assert.equal(uploadName({ name: 'noext', sha256: A }), `noext.${A}`);
  assert.equal(shaInName('front.png'), null, 'a clerk\'s own asset carries no hash');
  assert.equal(shaInName(`front.${A.slice(1)}.png`), null);
  assert.equal(plainImageName(`02 back.${A}.jpg`), 'back.jpg');
  assert.equal(plainImageName('back.jpg'), 'back.jpg');
});
