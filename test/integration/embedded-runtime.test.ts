/**
 * The embedded runtime end to end: a small synthetic shop through the deployed handlers on DynamoDB
 * Local, in-process SQS, EventBridge and Scheduler (local/embedded), against the in-memory runtime on
 * the same events. Both decide the same: the same campaigns fire, the same points, the same
 * suppressions, the same campaign stats items (written by the relay to DynamoDB Local, kept in memory
 * by the other); every message the relay queued is a valid message on its channel's queue; nothing
 * lands in a dead-letter queue; the request counts and the cost estimate come with the result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCounters, zeroCounters } from '../../functions/domain/campaign-stats.ts';
import type { LedgerEntry } from '../../functions/domain/customer-state.ts';
import { ledgerEntryKey } from '../../functions/domain/customer-state.ts';
import { Message } from '../../functions/domain/message.ts';
import { estimateCost } from '../../local/cost.ts';
import type { EmbeddedResult } from '../../local/embedded/run.ts';
import { runEmbedded } from '../../local/embedded/run.ts';
import { evaluationsIn } from '../../local/embedded/stack.ts';
import type { SimulationResult } from '../../local/memory-simulation.ts';
import { runMemorySimulation } from '../../local/memory-simulation.ts';
import { DEFAULT_PACK } from '../unit/fixtures.ts';

const OPTIONS = { customers: 25, days: 6, seed: 11, start: '2026-03-01T00:00:00.000Z', pack: DEFAULT_PACK };

let embedded: EmbeddedResult;
let waves: EmbeddedResult;
let memory: SimulationResult;
let itemsAtEnd = 0;

beforeAll(async () => {
  embedded = (await runMemorySimulation({
    ...OPTIONS,
    runner: async (source, options) => {
      const run = await runEmbedded(source, options);
      // What replay reports (a simulation reports its shop's size instead).
      itemsAtEnd = run.customers;
      return run;
    },
  })) as EmbeddedResult;
  // Every dispatcher slice of more than one customer is a wave, handed on over 4 due partitions.
  waves = (await runMemorySimulation({
    ...OPTIONS,
    runner: (source, options) => runEmbedded(source, options, { duePageLimit: 1, dueShards: 4 }),
  })) as EmbeddedResult;
  memory = await runMemorySimulation(OPTIONS);
}, 400_000);

afterAll(() => {});

describe('the embedded runtime', () => {
  it('decides what the in-memory runtime decides on the same shop', () => {
    const e = embedded.summary.totals();
    const m = memory.summary.totals();
    expect(embedded.events).toBe(memory.events);
    expect(e.fired).toBeGreaterThan(0);
    expect({ fired: e.fired, points: e.points, suppressed: e.suppressed }).toEqual({
      fired: m.fired,
      points: m.points,
      suppressed: m.suppressed,
    });
    // The same dispatcher and sweep instants: the same messages (ids and content) and ledger entries;
    // both hold the messages due after the run's end for a dispatcher run to come.
    const content = (r: SimulationResult) =>
      r.messages.map((m) => JSON.stringify({ ...m, createdAt: '' })).sort();
    expect(embedded.messages.length).toBeGreaterThan(0);
    expect(content(embedded)).toEqual(content(memory));
    expect(embedded.heldAtEnd).toBe(memory.heldAtEnd);
    const ids = (entries: LedgerEntry[]) => entries.map(ledgerEntryKey).sort();
    expect(ids(embedded.bonuses)).toEqual(ids(memory.bonuses));
    // The customers found due and evaluated: the dispatcher's own evaluations count with the evaluate λ's.
    expect(embedded.evaluations).toBeGreaterThan(0);
    expect(embedded.evaluations).toBe(memory.evaluations);
    // The customer items at the end: as many as the in-memory store holds.
    expect(itemsAtEnd).toBeGreaterThan(0);
    expect(itemsAtEnd).toBe(memory.states.length);
  });

  it('keeps the same campaign stats items as the in-memory runtime, adding up to the run summary', () => {
    const stats = embedded.campaignStats ?? [];
    expect(stats.length).toBeGreaterThan(0);
    expect(stats).toEqual(memory.campaignStats);
    // Summed over the days, each campaign's item counts are its summary row's.
    const totals = stats.reduce((t, s) => addCounters(t, s.counters), zeroCounters());
    const m = memory.summary.totals();
    expect({
      fired: totals.fired,
      points: totals.points,
      deferred: totals.deferred,
      converted: totals.converted,
      suppressed: totals.suppressed,
      messages: totals.messages,
    }).toEqual({
      fired: m.fired,
      points: m.points,
      deferred: m.deferred,
      converted: m.converted,
      suppressed: m.suppressed,
      messages: m.messages,
    });
  });

  it('queues valid messages, each once, and leaves nothing in a dead-letter queue', () => {
    for (const m of embedded.messages) expect(Message.safeParse(m).success).toBe(true);
    const ids = embedded.messages.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.values(embedded.usage.deadLetters).every((n) => n === 0)).toBe(true);
    expect(embedded.rejected).toEqual([]);
  });

  it('decides the same when the due slices are waves handed on to the maintenance λ', () => {
    const ids = (entries: LedgerEntry[]) => entries.map(ledgerEntryKey).sort();
    const messageIds = (r: SimulationResult) => r.messages.map((m) => m.messageId).sort();
    expect(ids(waves.bonuses)).toEqual(ids(embedded.bonuses));
    expect(messageIds(waves)).toEqual(messageIds(embedded));
    expect(waves.summary.totals()).toEqual(embedded.summary.totals());
    // Evaluated by the evaluate λ, as the maintenance λ queued them: the same customers.
    expect(waves.evaluations).toBe(embedded.evaluations);
    // The waves went through the maintenance queue: more maintenance invocations than the daily sweep's.
    const maintenance = (r: EmbeddedResult) => r.usage.functions.maintenance.invocations;
    expect(maintenance(waves)).toBeGreaterThan(maintenance(embedded));
    expect(waves.usage.functions.maintenance.errors).toBe(0);
  });

  it('counts the requests each service served and prices them', () => {
    const u = embedded.usage;
    expect(u.functions.ingest.invocations).toBeGreaterThan(0);
    expect(u.functions.relay.invocations).toBeGreaterThan(0);
    // The dispatcher runs every 15 minutes (minute 1, 16, 31, 46), the sweep daily at 03:00.
    expect(u.functions.dispatch.invocations).toBe(OPTIONS.days * 96);
    expect(u.scheduler.invocations).toBe(OPTIONS.days * 96 + OPTIONS.days);
    expect(u.functions.maintenance.errors).toBe(0);
    expect(u.dynamodb.totals.writeUnits).toBeGreaterThan(0);
    const cost = estimateCost(u);
    expect(cost.usdTotal).toBeGreaterThan(0);
    expect(cost.lines.map((l) => l.item)).toContain('DynamoDB write request units');
  });
});

describe('evaluationsIn', () => {
  it("counts the dispatcher's inline evaluations and the evaluate λ's records that did not fail", () => {
    expect(evaluationsIn('dispatch', {}, { dispatched: 12, evaluated: 9 })).toBe(9);
    const records = { Records: [{}, {}, {}] };
    expect(evaluationsIn('evaluate', records, { batchItemFailures: [{ itemIdentifier: 'm-2' }] })).toBe(2);
    expect(evaluationsIn('evaluate', records, { batchItemFailures: [] })).toBe(3);
    expect(evaluationsIn('evaluate', records, undefined)).toBe(0);
    expect(evaluationsIn('ingest', records, { batchItemFailures: [] })).toBe(0);
  });
});
