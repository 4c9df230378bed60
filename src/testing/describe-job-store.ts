import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  ACTIVE_STATUSES,
  canTransition,
  cancelPatch,
  completedPatch,
  FINAL_STATUSES,
  hasClaims,
  hasLeases,
  isoTime,
  JOB_STATUSES,
  stalePatch,
  type JobPatch,
  type JobRecord,
  type JobStatus,
  type JobStore,
} from '../index';

/** Options of `describeJobStore()`. */
export interface DescribeJobStoreOptions {
  /**
   * Opens a second store on the same data, as another process would (same path, same prefix).
   * With it, the suite checks that `watch` reports the other store's changes.
   */
  openAgain?: (store: JobStore) => JobStore | Promise<JobStore>;
  /** Require the lease mechanism (`renewLeases` / `expireLeases`); by default it is checked when present. */
  leases?: boolean;
  /** Require the claim mechanism (`claim`, for durable jobs); by default it is checked when present. */
  claims?: boolean;
  /** Require the idempotency mechanism (`reserve`); by default it is checked when present. */
  idempotency?: boolean;
  /** Time limit of each test in ms. @default 20000 */
  timeoutMs?: number;
}

type Body = () => Promise<void>;
interface JestGlobals {
  describe(name: string, fn: () => void): void;
  test(name: string, fn: Body, timeout?: number): void;
  afterEach(fn: Body, timeout?: number): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How many races the atomicity check runs: enough that a store that reads, then writes, never passes by luck. */
const RACES = 200;

/** A fresh record in `status` (timestamps `at`, or now). */
function record(status: JobStatus = 'running', extra: Partial<JobRecord> = {}, at = Date.now()): JobRecord {
  const now = isoTime(at);
  const final = FINAL_STATUSES.includes(status);
  return {
    id: randomUUID(),
    label: 'conformance',
    status,
    created_at: now,
    started_at: status === 'pending' ? null : now,
    completed_at: final ? now : null,
    updated_at: now,
    result: status === 'completed' ? { ok: true } : null,
    error: final && status !== 'completed' ? { name: 'Error', message: status } : null,
    progress: null,
    ...extra,
  };
}

/** A patch that moves a job to `to` (with what that status carries). */
function patchTo(to: JobStatus): JobPatch {
  switch (to) {
    case 'running':
      return { status: 'running', started_at: isoTime() };
    case 'completed':
      return completedPatch({ n: 1 }, null);
    case 'failed':
      return { status: 'failed', completed_at: isoTime(), error: { name: 'Error', message: 'boom' } };
    case 'cancelled':
      return cancelPatch('conformance');
    case 'stale':
      return stalePatch('conformance');
    default:
      return { status: to };
  }
}

/**
 * A jest suite that checks a `JobStore` against the contract: records round-trip as JSON,
 * atomic conditional updates, the lifecycle's transitions (a final record never changes), list
 * order and filters, prune, counts, close, `watch` across two instances (with `openAgain`), and
 * the lease mechanism when present (a runner that stops renewing has its jobs marked `stale`).
 * Uses jest's global `describe` / `test` / `afterEach`; call it at the top level of a test file.
 *
 * @param name the suite's name
 * @param makeStore makes a fresh, empty store for each test (a Redis store: a new prefix each time)
 * @example
 * import { describeJobStore } from 'smart-async/testing';
 * describeJobStore('PostgresJobStore', () => new PostgresJobStore({ schema: `t_${Date.now()}` }));
 */
export function describeJobStore(name: string, makeStore: () => JobStore | Promise<JobStore>, options: DescribeJobStoreOptions = {}): void {
  const g = globalThis as unknown as Partial<JestGlobals>;
  if (typeof g.describe !== 'function' || typeof g.test !== 'function' || typeof g.afterEach !== 'function') {
    throw new Error('describeJobStore() runs inside jest (or a runner with global describe/test/afterEach)');
  }
  const { describe, test, afterEach } = g as JestGlobals;
  const timeout = options.timeoutMs ?? 20_000;
  const opened: JobStore[] = [];
  const open = async (): Promise<JobStore> => {
    const store = await makeStore();
    opened.push(store);
    return store;
  };
  const again = async (store: JobStore): Promise<JobStore> => {
    const other = await options.openAgain!(store);
    opened.push(other);
    return other;
  };
  const it = (title: string, body: Body): void => test(title, body, timeout);

  describe(`${name} (JobStore conformance)`, () => {
    afterEach(async () => {
      for (const s of opened.splice(0).reverse()) await s.close();
    }, timeout);

    it('keeps a record as JSON and gives it back equal; an unknown id is undefined', async () => {
      const store = await open();
      const job = record('running', { owner: 'ann', progress: { current: 1, total: 4, message: 'one' }, label: 'Report.build' });
      await store.create({ ...job });
      assert.deepEqual(await store.get(job.id), job);
      assert.equal(await store.get(randomUUID()), undefined);
    });

    it('refuses to create a job whose id exists', async () => {
      const store = await open();
      const job = record();
      await store.create(job);
      await assert.rejects(Promise.resolve().then(() => store.create({ ...job })));
    });

    it('applies a patch atomically with a fresh updated_at, only when the expected status holds', async () => {
      const store = await open();
      const job = record('running', {}, Date.now() - 1000);
      await store.create(job);
      const progressed = await store.update(job.id, { progress: { current: 2 } }, ['running']);
      assert.equal(progressed?.progress?.current, 2);
      assert.ok(progressed!.updated_at > job.updated_at, 'updated_at moves forward');
      assert.equal(await store.update(job.id, patchTo('completed'), ['pending']), undefined);
      assert.equal((await store.get(job.id))?.status, 'running');
      assert.equal(await store.update(randomUUID(), { progress: { current: 1 } }), undefined);
      const racers = await Promise.all([
        store.update(job.id, patchTo('completed'), ACTIVE_STATUSES),
        store.update(job.id, cancelPatch('x'), ACTIVE_STATUSES),
      ]);
      assert.equal(racers.filter(Boolean).length, 1, 'one of two racing transitions wins');
    });

    it('lets exactly one of two racing transitions win, in every one of 200 races (same tick, staggered, across instances)', async () => {
      const store = await open();
      const other = options.openAgain ? await again(store) : store;
      const jobs = Array.from({ length: RACES }, () => record('running'));
      for (let i = 0; i < jobs.length; i += 50) await Promise.all(jobs.slice(i, i + 50).map((j) => store.create(j)));
      // Interleavings: both in one tick, the second a microtask, a turn or a millisecond later; half through a second instance.
      const stagger = [
        (): Promise<void> => Promise.resolve(),
        () => Promise.resolve().then(() => undefined),
        () => new Promise<void>((r) => setImmediate(r)),
        () => new Promise<void>((r) => setTimeout(r, 1)),
      ];
      const outcomes = await Promise.all(
        jobs.map(async (job, i) => {
          const first = store.update(job.id, patchTo('completed'), ACTIVE_STATUSES);
          const second = stagger[i % stagger.length]!().then(() =>
            (i % 2 === 0 ? store : other).update(job.id, cancelPatch('raced'), ACTIVE_STATUSES),
          );
          const [a, b] = await Promise.all([first, second]);
          return { id: job.id, winners: [a, b].filter(Boolean).length, status: a ? 'completed' : b ? 'cancelled' : undefined };
        }),
      );
      const broken = outcomes.filter((o) => o.winners !== 1);
      assert.equal(
        broken.length,
        0,
        `${broken.length} of ${RACES} races did not have exactly one winner (update must read and write atomically)`,
      );
      const records = await Promise.all(outcomes.map((o) => store.get(o.id)));
      const overwritten = outcomes.filter((o, i) => records[i]?.status !== o.status);
      assert.equal(
        overwritten.length,
        0,
        `${overwritten.length} of ${RACES} records do not hold the winner's status (a refused transition was written anyway)`,
      );
    });

    it('follows the lifecycle: every status change the core allows, none it refuses', async () => {
      const store = await open();
      for (const from of JOB_STATUSES) {
        for (const to of JOB_STATUSES) {
          const job = record(from);
          await store.create(job);
          const out = await store.update(job.id, patchTo(to));
          assert.equal(out !== undefined, canTransition(from, to), `${from} -> ${to}`);
          assert.equal((await store.get(job.id))?.status, out ? to : from);
        }
      }
    });

    it('never changes a final record: no status, result, error, completed_at or progress', async () => {
      const store = await open();
      for (const status of FINAL_STATUSES) {
        const job = record(status);
        await store.create(job);
        assert.equal(await store.update(job.id, { progress: { current: 9 } }), undefined);
        assert.equal(await store.update(job.id, { result: 'late', completed_at: isoTime() }), undefined);
        assert.equal(await store.update(job.id, patchTo('completed')), undefined);
        assert.deepEqual(await store.get(job.id), job);
      }
    });

    it('lists newest first, filtered by status, label and owner, up to a limit', async () => {
      const store = await open();
      const base = Date.now() - 10_000;
      const jobs = [
        record('running', { label: 'a', owner: 'ann' }, base),
        record('completed', { label: 'b', owner: 'bob' }, base + 1000),
        record('pending', { label: 'a' }, base + 2000),
        record('failed', { label: 'a', owner: 'ann' }, base + 3000),
      ];
      for (const j of jobs) await store.create(j);
      const ids = (list: JobRecord[]): string[] => list.map((j) => j.id);
      const [j0, j1, j2, j3] = jobs.map((j) => j.id);
      assert.deepEqual(ids(await store.list()), [j3, j2, j1, j0]);
      assert.deepEqual(ids(await store.list({ statuses: ['running', 'pending'] })), [j2, j0]);
      assert.deepEqual(ids(await store.list({ label: 'a' })), [j3, j2, j0]);
      assert.deepEqual(ids(await store.list({ owner: 'ann' })), [j3, j0]);
      assert.deepEqual(ids(await store.list({ label: 'a', limit: 2 })), [j3, j2]);
    });

    it('prunes final jobs only, by status, age and number kept', async () => {
      const store = await open();
      const old = Date.now() - 60_000;
      const active = [record('running', {}, old), record('pending', {}, old)];
      const done = [
        record('completed', {}, old),
        record('failed', {}, old + 1),
        record('cancelled', {}, old + 2),
        record('stale', {}, old + 3),
      ];
      for (const j of [...active, ...done]) await store.create(j);
      assert.equal(await store.prune({ statuses: ['failed'], settledBefore: isoTime(Date.now() + 1) }), 1);
      assert.equal(await store.prune({ statuses: FINAL_STATUSES, keepNewest: 2 }), 1); // the completed one, settled first
      assert.equal(await store.prune({ statuses: FINAL_STATUSES, settledBefore: isoTime(old - 1000) }), 0);
      assert.equal(await store.prune({ statuses: FINAL_STATUSES, settledBefore: isoTime() }), 2);
      assert.deepEqual((await store.list()).map((j) => j.status).sort(), ['pending', 'running']);
    });

    it('counts jobs per status through creates, transitions and prunes', async () => {
      const store = await open();
      const a = record('running');
      const b = record('pending');
      await store.create(a);
      await store.create(b);
      await store.update(a.id, patchTo('completed'));
      const counts = await store.counts();
      assert.deepEqual(counts, { pending: 1, running: 0, completed: 1, failed: 0, cancelled: 0, stale: 0 });
      assert.equal(await store.prune({ statuses: FINAL_STATUSES, settledBefore: isoTime(Date.now() + 1) }), 1);
      assert.equal((await store.counts()).completed, 0);
    });

    it('closes, and closing twice is harmless', async () => {
      const store = await makeStore();
      await store.create(record());
      await store.close();
      await store.close();
    });

    if (options.openAgain) {
      it('watch: tells a listener about changes made through another instance', async () => {
        const store = await open();
        if (!store.watch) return;
        const other = await again(store);
        const seen: JobRecord[] = [];
        const stop = store.watch((job) => seen.push(job));
        await sleep(200); // a subscription may take a moment to be in place
        const job = record('running');
        await other.create(job);
        await other.update(job.id, cancelPatch('from elsewhere'));
        for (let i = 0; i < 200 && !seen.some((j) => j.id === job.id && j.status === 'cancelled'); i++) await sleep(25);
        stop();
        assert.ok(
          seen.some((j) => j.id === job.id && j.status === 'cancelled'),
          'the cancel reached the watcher',
        );
      });
    }

    it('leases: present when required', async () => {
      const store = await open();
      if (options.leases) assert.ok(hasLeases(store), 'renewLeases and expireLeases are implemented');
    });

    it('leases: a runner that stops renewing has its active jobs marked stale (JOB_STALE), once', async () => {
      const store = await open();
      if (!hasLeases(store)) return;
      const runner = randomUUID();
      const renewing = randomUUID();
      const now = Date.now();
      const lapsing = record('running');
      const renewed = record('running');
      const finished = record('completed');
      await store.create(lapsing, { runner, expiresAt: now + 300 });
      await store.create(renewed, { runner: renewing, expiresAt: now + 300 });
      await store.create(finished, { runner, expiresAt: now + 300 });
      assert.deepEqual(await store.expireLeases(Date.now(), stalePatch('lapsed'), 100), [], 'nothing expires before its lease');
      await sleep(150);
      assert.deepEqual(await store.renewLeases(renewing, [renewed.id], Date.now() + 60_000), []);
      await sleep(300);
      const expired = await store.expireLeases(Date.now(), stalePatch('lapsed'), 100);
      assert.deepEqual(
        expired.map((j) => j.id),
        [lapsing.id],
      );
      const stale = await store.get(lapsing.id);
      assert.equal(stale?.status, 'stale');
      assert.deepEqual(stale?.error, { name: 'StaleJobError', code: 'JOB_STALE', message: 'lapsed' });
      assert.equal((await store.get(renewed.id))?.status, 'running');
      assert.deepEqual(await store.get(finished.id), finished);
      assert.deepEqual(await store.expireLeases(Date.now(), stalePatch('lapsed'), 100), [], 'a stale job is not marked again');
    });

    it('leases: a renewal names the jobs that are no longer active, and expiry takes at most `limit` at a time', async () => {
      const store = await open();
      if (!hasLeases(store)) return;
      const runner = randomUUID();
      const expiresAt = Date.now() + 200;
      const jobs = [record('running'), record('running'), record('pending')];
      for (const j of jobs) await store.create(j, { runner, expiresAt });
      await store.update(jobs[0]!.id, cancelPatch('elsewhere'));
      const missing = randomUUID();
      const gone = await store.renewLeases(runner, [...jobs.map((j) => j.id), missing], Date.now() + 200);
      assert.deepEqual(gone.sort(), [jobs[0]!.id, missing].sort());
      await sleep(350);
      const first = await store.expireLeases(Date.now(), stalePatch('lapsed'), 1);
      const second = await store.expireLeases(Date.now(), stalePatch('lapsed'), 1);
      assert.equal(first.length, 1);
      assert.equal(second.length, 1);
      assert.notEqual(first[0]!.id, second[0]!.id);
      assert.deepEqual(await store.renewLeases(runner, [jobs[1]!.id], Date.now() + 1000), [jobs[1]!.id]);
    });

    /** A durable job waiting for a claim: pending, with a call, due at `runAt` (ms). */
    const waiting = (target: string, runAt: number, extra: Partial<JobRecord> = {}): JobRecord =>
      record(
        'pending',
        { call: { target, args: [1, { a: 'b' }] }, attempt: 0, max_attempts: 3, run_at: isoTime(runAt), history: [], ...extra },
        runAt - 1000,
      );

    it('claims: present when required', async () => {
      const store = await open();
      if (options.claims) assert.ok(hasClaims(store), 'claim is implemented');
    });

    it('claims: take due durable jobs of the targets asked for, start them (attempt + 1), each once, at most `limit`', async () => {
      const store = await open();
      if (!hasClaims(store)) return;
      const now = Date.now();
      const due = [waiting('Svc.a', now - 3000), waiting('Svc.a', now - 2000), waiting('Svc.b', now - 1000)];
      const later = waiting('Svc.a', now + 60_000);
      const unknown = waiting('Other.x', now - 5000);
      const plain = record('pending');
      for (const j of [...due, later, unknown, plain]) await store.create(j);
      const lease = { runner: randomUUID(), expiresAt: now + 60_000 };
      const first = await store.claim(['Svc.a', 'Svc.b'], 2, lease, now);
      assert.deepEqual(
        first.map((j) => j.id),
        [due[0]!.id, due[1]!.id],
        'earliest due first, at most limit',
      );
      for (const j of first) {
        assert.equal(j.status, 'running');
        assert.equal(j.attempt, 1);
        assert.equal(j.run_at, null);
        assert.ok(j.started_at);
        assert.deepEqual(j.call, { target: 'Svc.a', args: [1, { a: 'b' }] });
        assert.deepEqual(await store.get(j.id), j);
      }
      const second = await store.claim(['Svc.a', 'Svc.b'], 10, lease, now);
      assert.deepEqual(
        second.map((j) => j.id),
        [due[2]!.id],
        'a claimed job is not claimed again; not-yet-due and unknown targets stay',
      );
      assert.equal((await store.get(later.id))?.status, 'pending');
      assert.equal((await store.get(unknown.id))?.status, 'pending');
      assert.equal((await store.get(plain.id))?.status, 'pending');
      assert.deepEqual(await store.claim(['Svc.a'], 10, lease, now), []);
    });

    it("claims: owners take turns, so one owner's backlog does not hold another's job back", async () => {
      const store = await open();
      if (!hasClaims(store)) return;
      const now = Date.now();
      const heavy = Array.from({ length: 20 }, (_, i) => waiting('Svc.a', now - 10_000 + i, { owner: 'heavy' }));
      const light = waiting('Svc.a', now - 100, { owner: 'light' });
      for (const j of [...heavy, light]) await store.create(j);
      const taken = await store.claim(['Svc.a'], 2, { runner: randomUUID(), expiresAt: now + 60_000 }, now);
      assert.deepEqual(taken.map((j) => j.owner).sort(), ['heavy', 'light']);
    });

    it('claims: two instances claiming at once never start one job twice', async () => {
      const store = await open();
      if (!hasClaims(store)) return;
      const other = options.openAgain ? await again(store) : store;
      if (!hasClaims(other)) return;
      const now = Date.now();
      const jobs = Array.from({ length: 40 }, (_, i) => waiting('Svc.a', now - 1000 + i));
      for (const j of jobs) await store.create(j);
      const lease = (): { runner: string; expiresAt: number } => ({ runner: randomUUID(), expiresAt: now + 60_000 });
      const rounds = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? other : store).claim(['Svc.a'], 7, lease(), now)));
      // A claim may skip rows another one holds (FOR UPDATE SKIP LOCKED): the rest are taken after.
      for (
        let more = await store.claim(['Svc.a'], 40, lease(), now);
        more.length > 0;
        more = await store.claim(['Svc.a'], 40, lease(), now)
      )
        rounds.push(more);
      const ids = rounds.flat().map((j) => j.id);
      assert.equal(new Set(ids).size, ids.length, 'no job claimed twice');
      assert.equal(ids.length, 40, 'every due job is claimed once');
    });

    it('claims: a run is fenced by its attempt, and a durable job may go back to pending', async () => {
      const store = await open();
      if (!hasClaims(store)) return;
      const now = Date.now();
      const job = waiting('Svc.a', now - 1);
      await store.create(job);
      const [run] = await store.claim(['Svc.a'], 1, { runner: randomUUID(), expiresAt: now + 60_000 }, now);
      assert.equal(run?.attempt, 1);
      assert.equal(
        await store.update(job.id, { progress: { current: 1 } }, { statuses: ['running'], attempt: 2 }),
        undefined,
        "another run's write is refused",
      );
      const back = await store.update(job.id, { status: 'pending', run_at: isoTime(now - 1) }, { statuses: ['running'], attempt: 1 });
      assert.equal(back?.status, 'pending');
      const [again2] = await store.claim(['Svc.a'], 1, { runner: randomUUID(), expiresAt: now + 60_000 }, now);
      assert.equal(again2?.attempt, 2, 'claimed again, as its next attempt');
      assert.equal(
        await store.update(job.id, completedPatch(1, null), { statuses: ['running'], attempt: 1 }),
        undefined,
        "the first run's late outcome is refused",
      );
      assert.equal((await store.update(job.id, completedPatch(2, null), { statuses: ['running'], attempt: 2 }))?.status, 'completed');
    });

    it('claims with leases: a lost run of a durable job with attempts left goes back to pending (its run in history); the last one goes stale', async () => {
      const store = await open();
      if (!hasClaims(store) || !hasLeases(store)) return;
      const now = Date.now();
      const resumable = waiting('Svc.a', now - 2);
      const last = waiting('Svc.a', now - 1, { attempt: 2, max_attempts: 3 });
      await store.create(resumable);
      await store.create(last);
      const runner = randomUUID();
      const runs = await store.claim(['Svc.a'], 2, { runner, expiresAt: Date.now() + 200 }, now);
      assert.equal(runs.length, 2);
      await sleep(350);
      const expired = await store.expireLeases(Date.now(), stalePatch('lapsed'), 100);
      assert.deepEqual(expired.map((j) => j.id).sort(), [resumable.id, last.id].sort());
      const back = await store.get(resumable.id);
      assert.equal(back?.status, 'pending');
      assert.equal(back?.attempt, 1);
      assert.equal(back?.history?.length, 1);
      assert.deepEqual(
        { ...back!.history![0]!, started_at: null, ended_at: null },
        {
          attempt: 1,
          status: 'stale',
          error: { name: 'StaleJobError', code: 'JOB_STALE', message: 'lapsed' },
          started_at: null,
          ended_at: null,
        },
      );
      assert.ok(back!.run_at && Date.parse(back!.run_at) <= Date.now(), 'due at once');
      assert.equal((await store.get(last.id))?.status, 'stale', 'its last attempt was lost');
      assert.deepEqual(await store.expireLeases(Date.now(), stalePatch('lapsed'), 100), [], 'a job waiting for a claim holds no lease');
      const [resumed] = await store.claim(['Svc.a'], 1, { runner: randomUUID(), expiresAt: Date.now() + 60_000 }, Date.now());
      assert.equal(resumed?.id, resumable.id);
      assert.equal(resumed?.attempt, 2);
    });

    /** A running job that reserves idempotency scope `scope`. */
    const keyed = (scope: string, extra: Partial<JobRecord> = {}): JobRecord =>
      record('running', { idempotency: { key: 'k', scope, fingerprint: 'f' }, ...extra });

    it('idempotency: present when required', async () => {
      const store = await open();
      if (options.idempotency) assert.equal(typeof store.reserve, 'function', 'reserve is implemented');
    });

    it('idempotency: one job per scope while it is active and for ttl after it settled; then a new one', async () => {
      const store = await open();
      if (typeof store.reserve !== 'function') return;
      const scope = randomUUID();
      const first = keyed(scope);
      assert.deepEqual(await store.reserve(first, undefined, 500, Date.now()), { job: first, created: true });
      const again = await store.reserve(keyed(scope), undefined, 500, Date.now());
      assert.equal(again.created, false);
      assert.equal(again.job.id, first.id);
      assert.equal((await store.reserve(keyed(randomUUID()), undefined, 500, Date.now())).created, true, 'another scope is another job');
      await store.update(first.id, completedPatch(1, null));
      const settled = await store.reserve(keyed(scope), undefined, 500, Date.now());
      assert.equal(settled.created, false, 'within ttl after it settled');
      assert.equal(settled.job.status, 'completed');
      await sleep(600);
      const later = keyed(scope);
      assert.deepEqual(
        await store.reserve(later, undefined, 500, Date.now()),
        { job: later, created: true },
        'after ttl: a new job holds the scope',
      );
      assert.equal((await store.reserve(keyed(scope), undefined, 500, Date.now())).job.id, later.id);
    });

    it('idempotency: two instances reserving one scope at once create one job', async () => {
      const store = await open();
      if (typeof store.reserve !== 'function') return;
      const other = options.openAgain ? await again(store) : store;
      for (let round = 0; round < 20; round++) {
        const scope = randomUUID();
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) => (i % 2 ? other : store).reserve!(keyed(scope), undefined, 60_000, Date.now())),
        );
        assert.equal(results.filter((r) => r.created).length, 1, 'exactly one reservation creates');
        assert.equal(new Set(results.map((r) => r.job.id)).size, 1, 'every caller gets that one job');
      }
    });

    it('idempotency: a pruned job frees its scope', async () => {
      const store = await open();
      if (typeof store.reserve !== 'function') return;
      const scope = randomUUID();
      const first = keyed(scope);
      await store.reserve(first, undefined, 60_000, Date.now());
      await store.update(first.id, completedPatch(1, null));
      await store.prune({ statuses: FINAL_STATUSES, settledBefore: isoTime(Date.now() + 1000) });
      assert.equal((await store.reserve(keyed(scope), undefined, 60_000, Date.now())).created, true);
    });
  });
}
