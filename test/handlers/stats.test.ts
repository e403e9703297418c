import './quiet-env.ts';
/**
 * The stats λ: counts summed in the tumbling window's state and written once per window, on its final
 * invocation, under a batch id that makes a retried final invocation a no-op and tells the parts of a
 * window terminated early apart; records counted in batch order up to the first that fails; a failed
 * write thrown (for Lambda to retry) and logged with ids and counts only; without a window, one write
 * per batch.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CampaignDayStats } from '../../functions/domain/campaign-stats.ts';
import type { OccurrenceRecord } from '../../functions/domain/customer-state.ts';
import type {
  TimeWindowResponse,
  TimeWindowStreamEvent,
  WindowState,
} from '../../functions/handlers/stats.ts';
import {
  batchIdOf,
  decodeWindowState,
  encodeWindowState,
  FROM_KEY,
  makeHandler,
  WindowStateError,
} from '../../functions/handlers/stats.ts';
import type { CampaignStatsReport, CampaignStatsWriter } from '../../functions/ports/campaign-stats.ts';
import { logger, metrics } from '../../functions/shared/powertools.ts';
import { MemoryCampaignStats } from '../../local/memory-stores.ts';
import {
  decodeTestImage,
  milestoneOccurrence,
  NO_EARLY_TIMEOUT,
  occurrenceWrite,
  stubContext,
  TestClock,
  testContext,
} from './support.ts';

const ctx = testContext();
const DAY = '2026-03-17';
const AT = `${DAY}T09:00:00.000Z`;
const NOW = Date.parse(`${DAY}T09:00:05.000Z`);
const CAMPAIGN = 'first-order-thank-you';
const KEY = `${CAMPAIGN}#once`;
const WINDOW = { start: `${DAY}T09:00:00Z`, end: `${DAY}T09:15:00Z` };
const SHARD = 'shardId-00000001741600000000-0a1b2c3d';
const EMAIL_DOMAIN = '@example.com';

const occurrence = (over: Partial<OccurrenceRecord> = {}) => milestoneOccurrence(AT, over);

let seq = 100;
/** A MODIFY record of customer `id`: the occurrence `key` is new in this write. */
const record = (id: string, occ: OccurrenceRecord = occurrence()): DynamoDBRecord =>
  occurrenceWrite(id, KEY, occ, ++seq, NOW);

/** A MODIFY record Lambda could not have sent (no old image): it fails. */
function invalid(id: string): DynamoDBRecord {
  const r = record(id);
  return { ...r, dynamodb: { ...r.dynamodb, OldImage: undefined } };
}

const heldOut = () =>
  occurrence({ status: 'suppressed', reason: 'holdout', points: 0, sendAt: null, channels: [] });
const seqOf = (r: DynamoDBRecord) => r.dynamodb?.SequenceNumber ?? '';

/** A stats writer that notes every call (batch id and item count) before the in-memory store takes it. */
class SpyStats implements CampaignStatsWriter {
  readonly store = new MemoryCampaignStats();
  readonly calls: { batchId: string; items: number; report: CampaignStatsReport }[] = [];
  async add(deltas: readonly CampaignDayStats[], batchId: string): Promise<CampaignStatsReport> {
    const report = await this.store.add(deltas, batchId);
    this.calls.push({ batchId, items: deltas.length, report });
    return report;
  }
  /** The one item's counters (the tests touch one campaign on one day). */
  async counters() {
    const all = await this.store.all();
    expect(all.length).toBeLessThanOrEqual(1);
    return all[0]?.counters;
  }
}

function setup(stats: CampaignStatsWriter = new SpyStats()) {
  const handler = makeHandler({
    pack: ctx.pack,
    decodeImage: decodeTestImage,
    stats,
    clock: new TestClock(NOW).now,
    ...NO_EARLY_TIMEOUT,
  });
  return { handler };
}

/** A window invocation; the state passes through JSON, as Lambda carries it between invocations. */
function windowEvent(
  state: WindowState,
  records: DynamoDBRecord[],
  flags: { final?: boolean; early?: boolean; window?: typeof WINDOW } = {},
): TimeWindowStreamEvent {
  return {
    Records: records,
    window: flags.window ?? WINDOW,
    state: JSON.parse(JSON.stringify(state)) as WindowState,
    shardId: SHARD,
    eventSourceARN:
      'arn:aws:dynamodb:eu-central-1:123456789012:table/customers/stream/2026-01-01T00:00:00.000',
    isFinalInvokeForWindow: flags.final ?? false,
    isWindowTerminatedEarly: flags.early ?? false,
  };
}

type Handler = ReturnType<typeof makeHandler>;

/** Runs the non-final invocations of a window, each with the state the previous one returned. */
async function runWindow(handler: Handler, batches: DynamoDBRecord[][], from: WindowState = {}) {
  let state = from;
  const responses: TimeWindowResponse[] = [];
  for (const records of batches) {
    const response = await handler(windowEvent(state, records), stubContext());
    responses.push(response);
    state = response.state;
  }
  return { state, responses };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('stats λ: tumbling windows', () => {
  it('sums the counts of a window over its invocations and writes them once, on the final one', async () => {
    // Prepare
    const stats = new SpyStats();
    const { handler } = setup(stats);

    // Act
    const { state, responses } = await runWindow(handler, [
      [record('c-1'), record('c-2')],
      [record('c-3', heldOut())],
      [record('c-4')],
    ]);
    const callsBeforeFinal = stats.calls.length;
    const final = await handler(windowEvent(state, [], { final: true }), stubContext());

    // Assess
    expect(responses.map((r) => r.batchItemFailures)).toEqual([[], [], []]);
    expect(callsBeforeFinal).toBe(0);
    expect(decodeWindowState(state).stats.map((s) => s.counters.fired)).toEqual([3]);
    expect(final).toEqual({ state: {}, batchItemFailures: [] });
    expect(stats.calls.map((c) => c.items)).toEqual([1]);
    expect(await stats.counters()).toEqual({
      fired: 3,
      messages: { email: 3, sms: 0, push: 0 },
      points: 300,
      deferred: 0,
      converted: 0,
      clawedBack: 0,
      suppressed: { holdout: 1 },
    });
  });

  it('counts the records of the final invocation too', async () => {
    // Prepare
    const stats = new SpyStats();
    const { handler } = setup(stats);
    const { state } = await runWindow(handler, [[record('c-1')]]);

    // Act
    await handler(windowEvent(state, [record('c-2')], { final: true }), stubContext());

    // Assess
    expect(stats.calls).toHaveLength(1);
    expect((await stats.counters())?.fired).toBe(2);
  });

  it('adds a retried final invocation (the same state) once', async () => {
    // Prepare
    const stats = new SpyStats();
    const { handler } = setup(stats);
    const { state } = await runWindow(handler, [[record('c-1'), record('c-2')]]);

    // Act: the answer of the first final invocation was lost; Lambda invokes it again.
    await handler(windowEvent(state, [], { final: true }), stubContext());
    const retry = await handler(windowEvent(state, [], { final: true }), stubContext());

    // Assess
    expect(retry).toEqual({ state: {}, batchItemFailures: [] });
    expect(stats.calls.map((c) => c.report)).toEqual([
      { applied: 1, repeated: 0, failed: [] },
      { applied: 0, repeated: 1, failed: [] },
    ]);
    expect(stats.calls[0]?.batchId).toBe(stats.calls[1]?.batchId);
    expect((await stats.counters())?.fired).toBe(2);
  });

  it('writes a window terminated early in two parts, under two batch ids, adding up to the whole', async () => {
    // Prepare
    const stats = new SpyStats();
    const { handler } = setup(stats);
    const first = await runWindow(handler, [[record('c-1'), record('c-2')]]);

    // Act: the state grew too large; the window is cut, then goes on from an empty state.
    const cut = await handler(windowEvent(first.state, [], { final: true, early: true }), stubContext());
    const second = await runWindow(handler, [[record('c-3')]], cut.state);
    await handler(windowEvent(second.state, [], { final: true }), stubContext());

    // Assess
    expect(cut.state).toEqual({});
    expect(stats.calls).toHaveLength(2);
    expect(stats.calls[0]?.batchId).not.toBe(stats.calls[1]?.batchId);
    expect((await stats.counters())?.fired).toBe(3);
  });

  it('writes an invocation flagged terminated early even when it is not flagged final', async () => {
    // Prepare
    const stats = new SpyStats();
    const { handler } = setup(stats);
    const { state } = await runWindow(handler, [[record('c-1')]]);

    // Act
    const cut = await handler(windowEvent(state, [], { early: true }), stubContext());

    // Assess
    expect(cut.state).toEqual({});
    expect(stats.calls).toHaveLength(1);
    expect((await stats.counters())?.fired).toBe(1);
  });

  it('names a window by its shard, its start and its first record: another window, another id', async () => {
    // Prepare
    const stats = new SpyStats();
    const { handler } = setup(stats);
    const next = { start: `${DAY}T09:15:00Z`, end: `${DAY}T09:30:00Z` };
    const r = record('c-1');

    // Act: the same state (the same '#from') closing two windows.
    const { state } = await runWindow(handler, [[r]]);
    await handler(windowEvent(state, [], { final: true }), stubContext());
    await handler(windowEvent(state, [], { final: true, window: next }), stubContext());

    // Assess
    expect(new Set(stats.calls.map((c) => c.batchId)).size).toBe(2);
    expect((await stats.counters())?.fired).toBe(2);
  });

  it('fails the first invalid record: the state holds the records before it, the later ones come back', async () => {
    // Prepare
    const stats = new SpyStats();
    const { handler } = setup(stats);
    const before = record('c-1');
    const bad = invalid('c-2');
    const after = record('c-3');

    // Act
    const response = await handler(windowEvent({}, [before, bad, after]), stubContext());

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: seqOf(bad) }]);
    const decoded = decodeWindowState(response.state);
    expect(decoded.from).toBe(seqOf(before));
    expect(decoded.stats.map((s) => s.counters.fired)).toEqual([1]);
    expect(stats.calls).toHaveLength(0);
  });

  it('keeps the counts of a window across a failed record and its retry', async () => {
    // Prepare: Lambda retries from the failed record with the state it was given back.
    const stats = new SpyStats();
    const { handler } = setup(stats);
    const bad = invalid('c-2');
    const failed = await handler(windowEvent({}, [record('c-1'), bad]), stubContext());

    // Act: the record is fine on the retry (it failed on something passing), then the window closes.
    const retried = { ...bad, dynamodb: { ...bad.dynamodb, OldImage: record('c-2').dynamodb?.OldImage } };
    const { state } = await runWindow(handler, [[retried, record('c-3')]], failed.state);
    await handler(windowEvent(state, [], { final: true }), stubContext());

    // Assess
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: seqOf(bad) }]);
    expect((await stats.counters())?.fired).toBe(3);
  });

  it('throws on a final invocation whose record fails, writing nothing (the whole invocation is retried)', async () => {
    // Prepare
    const stats = new SpyStats();
    const { handler } = setup(stats);
    const { state } = await runWindow(handler, [[record('c-1')]]);

    // Act
    const invocation = handler(
      windowEvent(state, [record('c-2'), invalid('c-3')], { final: true }),
      stubContext(),
    );

    // Assess
    await expect(invocation).rejects.toThrow(/MODIFY without an OldImage/);
    expect(stats.calls).toHaveLength(0);
  });

  it('ignores REMOVE records and items that are not customers, and writes nothing for them', async () => {
    // Prepare
    const stats = new SpyStats();
    const { handler } = setup(stats);
    const removed: DynamoDBRecord = { ...record('c-1'), eventName: 'REMOVE' };
    const other: DynamoDBRecord = {
      ...record('c-2'),
      dynamodb: {
        Keys: { pk: { S: 'meta#watermark' } },
        SequenceNumber: String(++seq).padStart(21, '0'),
        OldImage: { at: { N: '1' } },
        NewImage: { at: { N: '2' } },
      },
    };

    // Act
    const response = await handler(windowEvent({}, [removed, other]), stubContext());
    const final = await handler(windowEvent(response.state, [], { final: true }), stubContext());

    // Assess
    expect(response).toEqual({ state: {}, batchItemFailures: [] });
    expect(final).toEqual({ state: {}, batchItemFailures: [] });
    expect(stats.calls).toHaveLength(0);
  });

  it('refuses a state it cannot decode, naming the problem', async () => {
    // Prepare
    const { handler } = setup();
    const counted = (await runWindow(handler, [[record('c-1')]])).state;
    const [key] = Object.keys(counted).filter((k) => k !== FROM_KEY);
    if (key === undefined) throw new Error('no campaign day in the state');
    const withoutFrom = Object.fromEntries(Object.entries(counted).filter(([k]) => k !== FROM_KEY));

    // Act / Assess
    for (const [state, problem] of [
      [{ ...counted, [key]: '{not json' }, /not JSON/],
      [{ ...counted, [key]: JSON.stringify({ brand: 'default' }) }, /not campaign day stats/],
      [{ ...counted, 'default#other#2026-03-17': counted[key] ?? '' }, /another campaign day/],
      [withoutFrom, /without #from/],
    ] as const) {
      await expect(handler(windowEvent(state, [], { final: true }), stubContext())).rejects.toThrow(problem);
    }
    expect(() => decodeWindowState([])).toThrow(WindowStateError);
  });

  it('keeps a state through JSON unchanged', () => {
    // Prepare
    const sums: CampaignDayStats[] = [
      {
        brand: 'default',
        campaignId: CAMPAIGN,
        day: DAY,
        counters: {
          fired: 2,
          messages: { email: 1, sms: 1, push: 0 },
          points: 250,
          deferred: 1,
          converted: 0,
          clawedBack: 0,
          suppressed: { holdout: 1, 'message:no-consent': 1 },
        },
      },
      {
        brand: 'b2',
        campaignId: 'win-back-90-days',
        day: '2026-03-16',
        counters: {
          fired: 1,
          messages: { email: 0, sms: 0, push: 1 },
          points: 0,
          deferred: 0,
          converted: 1,
          clawedBack: 1,
          suppressed: {},
        },
      },
    ];

    // Act
    const state = encodeWindowState(sums, '000000000000000000101');
    const back = decodeWindowState(JSON.parse(JSON.stringify(state)));

    // Assess
    expect(Object.values(state).every((v) => typeof v === 'string')).toBe(true);
    expect(back).toEqual({ stats: sums, from: '000000000000000000101' });
    expect(encodeWindowState([], '000000000000000000101')).toEqual({});
  });
});

describe('stats λ: without a window', () => {
  it('writes each batch after its records, and a repeated batch once', async () => {
    // Prepare
    const stats = new SpyStats();
    const { handler } = setup(stats);
    const first = { Records: [record('c-1'), record('c-2')] };
    const second = { Records: [record('c-3')] };

    // Act
    const responses = [
      await handler(first, stubContext()),
      await handler(second, stubContext()),
      await handler(structuredClone(second), stubContext()),
    ];

    // Assess
    expect(responses).toEqual([0, 1, 2].map(() => ({ batchItemFailures: [], state: {} })));
    expect(stats.calls.map((c) => c.report.applied)).toEqual([1, 1, 0]);
    expect((await stats.counters())?.fired).toBe(3);
  });

  it('writes the records before the first failure and reports it', async () => {
    // Prepare
    const stats = new SpyStats();
    const { handler } = setup(stats);
    const bad = invalid('c-2');

    // Act
    const response = await handler({ Records: [record('c-1'), bad, record('c-3')] }, stubContext());

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: seqOf(bad) }], state: {} });
    expect((await stats.counters())?.fired).toBe(1);
  });

  it('names a batch by its records: the same records, the same id', () => {
    const records = [record('a'), record('b'), record('c')];
    expect(batchIdOf(records)).toBe(batchIdOf(structuredClone(records)));
    expect(batchIdOf(records)).not.toBe(batchIdOf(records.slice(1)));
  });
});

describe('stats λ: a write that fails', () => {
  /** A writer that fails every item, with an error quoting an address (as a careless adapter might). */
  const failing: CampaignStatsWriter = {
    add: async (deltas) => ({
      applied: 0,
      repeated: 0,
      failed: deltas.map((s) => ({ stats: s, error: new Error('throttled for anna.petrova@example.org') })),
    }),
  };

  it('throws, counts it and logs the items by ids and counts, with no customer data', async () => {
    // Prepare
    const { handler } = setup(failing);
    const addMetric = vi.spyOn(metrics, 'addMetric');
    const lines: string[] = [];
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      vi.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
        lines.push(JSON.stringify(args));
      });
    }
    const { state } = await runWindow(handler, [[record('cust-secret-1'), record('cust-secret-2')]]);

    // Act
    const invocation = handler(windowEvent(state, [], { final: true }), stubContext());

    // Assess
    const error = await invocation.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(addMetric).toHaveBeenCalledWith('CampaignStatsFailed', 'Count', 1);
    const logged = lines.find((l) => l.includes('campaign stats not written'));
    expect(logged).toBeDefined();
    expect(logged).toContain(CAMPAIGN);
    expect(logged).toContain(DAY);
    expect(logged).toContain('"fired":2');
    const everything = [...lines, String(error)].join('\n');
    for (const secret of ['cust-secret', EMAIL_DOMAIN, 'anna.petrova@example.org']) {
      expect(everything).not.toContain(secret);
    }
  });

  it('throws when the writer throws', async () => {
    // Prepare
    const { handler } = setup({ add: () => Promise.reject(new Error('bug')) });
    const { state } = await runWindow(handler, [[record('c-1')]]);

    // Act / Assess
    await expect(handler(windowEvent(state, [], { final: true }), stubContext())).rejects.toThrow(
      /campaign stats not written: 1 of 1/,
    );
  });

  it('adds the items a failed write left out on the retry, and the others once', async () => {
    // Prepare: the first write takes one item of two and fails the other.
    const stats = new SpyStats();
    let failOnce = true;
    const flaky: CampaignStatsWriter = {
      add: async (deltas, batchId) => {
        if (!failOnce) return stats.add(deltas, batchId);
        failOnce = false;
        const [taken, ...rest] = deltas;
        const report = await stats.add(taken === undefined ? [] : [taken], batchId);
        return { ...report, failed: rest.map((s) => ({ stats: s, error: new Error('throttled') })) };
      },
    };
    const { handler } = setup(flaky);
    const { state } = await runWindow(handler, [
      [record('c-1'), record('c-2', occurrence({ at: '2026-03-18T08:00:00.000Z' }))],
    ]);

    // Act
    const first = handler(windowEvent(state, [], { final: true }), stubContext());
    await expect(first).rejects.toThrow(/1 of 2/);
    await handler(windowEvent(state, [], { final: true }), stubContext());

    // Assess
    const all = await stats.store.all();
    expect(all.map((s) => [s.day, s.counters.fired])).toEqual([
      [DAY, 1],
      ['2026-03-18', 1],
    ]);
    expect(stats.calls.at(-1)?.report).toEqual({ applied: 1, repeated: 1, failed: [] });
  });

  it('does not start a write too close to the deadline, and throws', async () => {
    // Prepare
    const stats = new SpyStats();
    const { handler } = setup(stats);
    const { state } = await runWindow(handler, [[record('c-1')]]);

    // Act / Assess
    await expect(handler(windowEvent(state, [], { final: true }), stubContext(1500))).rejects.toThrow(
      /no time left/,
    );
    expect(stats.calls).toHaveLength(0);
  });
});
