// A wrong Tryton password must not lock Dovetail out for good: the real trytond counts every
// refused login and, past 5 within its session timeout, refuses even the right password.
//
// Tryton keeps these counts in each database's own res_user_login_attempt table, per login (and
// per IP network, also in that table): a user of a fresh database locks nothing anywhere else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { TrytonClient } from '../../src/connectors/tryton/client.js';
import { DovetailError } from '../../src/errors.js';
import { trytonAdmin } from './helpers/dovetail.js';
import { freshTrytonDatabase } from './helpers/systems.js';

const LOGIN = 'dovetail';
const DOVETAIL_PASSWORD = 'Dt-right-7391';
const OTHER_PASSWORD = 'Wx-other-5286';
/** Tryton's `session.max_attempt`: one refusal more than this and it answers 429 to every login. */
const TRYTON_MAX_ATTEMPT = 5;

test('after a wrong password, Dovetail gets back in once it is right, having tried a few times only', { timeout: 240_000 }, async () => {
  const db = await freshTrytonDatabase();
  const admin = await trytonAdmin(db);
  const [userId] = await admin.create('res.user', [{ name: 'Dovetail', login: LOGIN, password: OTHER_PASSWORD }]);
  // Tryton offers no RPC to read its login attempts: count them in the database file itself.
  const file = path.join(process.env.TRYTON_DB_DIR ?? path.resolve('.run/tryton/db'), `${db.database}.sqlite`);
  const attemptsRecorded = () => {
    const sqlite = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return (sqlite.prepare('SELECT count(*) AS n FROM res_user_login_attempt WHERE login = ?').get(LOGIN) as { n: number }).n;
    } finally { sqlite.close(); }
  };

  // Dovetail polls as the engine does, every 100 ms, for a minute with a password Tryton refuses.
  // Without pacing, a minute is enough for Tryton to lock the user (its own delays add up to
  // 57 s at most over the first six refusals).
  const dovetail = new TrytonClient({ url: db.url, database: db.database, username: LOGIN, password: DOVETAIL_PASSWORD });
  const poll = () => dovetail.search('ir.lang', [['code', '=', 'en']]);
  const wrongUntil = Date.now() + 60_000;
  const refusals: unknown[] = [];
  while (Date.now() < wrongUntil) {
    await poll().then(() => assert.fail('Tryton accepted a wrong password'), (err: unknown) => refusals.push(err));
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(refusals.every((e) => e instanceof DovetailError));
  assert.ok(refusals.some((e) => e instanceof DovetailError && e.kind === 'config' && /wrong user or password/.test(e.message)));
  const attempts = attemptsRecorded();
  assert.ok(attempts >= 2, `Dovetail tried again after the first refusal (${attempts} attempts)`);
  assert.ok(attempts <= TRYTON_MAX_ATTEMPT, `${attempts} refused logins in a minute: Tryton locks the user past ${TRYTON_MAX_ATTEMPT}`);

  // The password is set right again: Dovetail's next attempt, at most one wait later, gets in.
  await admin.write('res.user', [userId], { password: DOVETAIL_PASSWORD });
  const deadline = Date.now() + 150_000;
  let result: number[] | null = null;
  while (!result) {
    result = await poll().catch((err: unknown) => {
      if (Date.now() > deadline) throw err;
      return null;
    });
    if (!result) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(result.length, 1);
  assert.equal(attemptsRecorded(), 0, 'a successful login clears the refusals');
});
