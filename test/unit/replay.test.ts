/**
 * `replay` (local/replay.ts): a shuffled JSONL with a duplicate and bad lines gives the same messages as
 * the same events in order; bad lines land in rejected.jsonl with line number, reason, path and rule and
 * without the line's contents.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOutputs } from '../../local/outputs.ts';
import type { ReplayResult } from '../../local/replay.ts';
import { replayEvents } from '../../local/replay.ts';
import { Rng } from '../../local/sim/random.ts';
import type { ShopEvent } from '../../local/sim/synthetic-shop.ts';
import { generateShop } from '../../local/sim/synthetic-shop.ts';
import { DEFAULT_PACK } from './fixtures.ts';

let dir: string;
let ordered: ReplayResult;
let shuffled: ReplayResult;
let events: ShopEvent[];
/** 1-based line numbers of the bad lines in the shuffled file. */
const BAD = { json: 3, future: 10, invalid: 20 };

function shuffle<T>(items: T[], seed: number): T[] {
  const rng = new Rng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const a = out[i];
    const b = out[j];
    if (a === undefined || b === undefined) continue;
    out[i] = b;
    out[j] = a;
  }
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'replay-test-'));
  events = generateShop({ customers: 40, days: 120, seed: 11, start: '2025-01-01T00:00:00Z' }).events;
  const order = events.find((e) => e['detail-type'] === 'OrderPlaced');
  if (order === undefined) throw new Error('fixture has no order');
  const lines = shuffle(events, 5).map((e) => JSON.stringify(e));
  lines.splice(7, 0, JSON.stringify(order)); // a duplicate
  const bad: [number, string][] = [
    [BAD.json, '{"id": "broken", "detail-type": "OrderPlaced", "detail": {"customerId": "c1", '],
    [
      BAD.future,
      JSON.stringify({
        ...order,
        id: 'future-1',
        time: '2099-01-01T00:00:00Z',
        detail: { ...order.detail, placedAt: order.time },
      }),
    ],
    [
      BAD.invalid,
      JSON.stringify({
        id: 'invalid-1',
        source: 'test',
        'detail-type': 'CustomerRegistered',
        time: order.time,
        detail: { customerId: 'x1', contacts: { email: 'secret-not-an-address' } },
      }),
    ],
  ];
  for (const [n, text] of bad) lines.splice(n - 1, 0, text);
  writeFileSync(join(dir, 'shuffled.jsonl'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'ordered.jsonl'), `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
  ordered = await replayEvents({ eventsPath: join(dir, 'ordered.jsonl'), pack: DEFAULT_PACK });
  shuffled = await replayEvents({ eventsPath: join(dir, 'shuffled.jsonl'), pack: DEFAULT_PACK });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('replay', () => {
  it('processes the valid events and rejects the bad lines with line numbers and reasons', () => {
    expect(ordered.rejected).toEqual([]);
    expect(ordered.events).toBe(events.length);
    expect(shuffled.lines).toBe(events.length + 4);
    expect(shuffled.events).toBe(events.length + 1); // the duplicate is ingested, and changes nothing
    expect(shuffled.rejected).toEqual([
      {
        line: BAD.json,
        eventId: null,
        reason: expect.stringContaining('not valid JSON'),
        path: '',
        rule: 'invalid-json',
      },
      {
        line: BAD.future,
        eventId: 'future-1',
        reason: expect.stringContaining('24 h'),
        path: 'time',
        rule: 'future',
      },
      {
        line: BAD.invalid,
        eventId: 'invalid-1',
        reason: expect.stringContaining('value redacted'),
        path: 'detail.contacts.email',
        rule: 'format',
      },
    ]);
    expect(JSON.stringify(shuffled.rejected)).not.toContain('secret-not-an-address');
  });

  it('gives the same messages, bonuses and summary as the same events in order', () => {
    expect(ordered.messages.length).toBeGreaterThan(0);
    expect(shuffled.messages).toEqual(ordered.messages);
    expect(shuffled.bonuses).toEqual(ordered.bonuses);
    expect(shuffled.summary.rows()).toEqual(ordered.summary.rows());
  });

  it('applies --from/--until on event time', async () => {
    const times = events.map((e) => Date.parse(e.time)).sort((a, b) => a - b);
    const mid = times[Math.floor(times.length / 2)] ?? 0;
    const half = await replayEvents({
      eventsPath: join(dir, 'ordered.jsonl'),
      pack: DEFAULT_PACK,
      untilMs: mid,
    });
    expect(half.events).toBe(times.filter((t) => t < mid).length);
    expect(half.outsideWindow).toBe(events.length - half.events);
  });

  it('applies the events before --from as history: the window meets customers with their past', async () => {
    const times = events.map((e) => Date.parse(e.time)).sort((a, b) => a - b);
    const fromMs = Date.parse('2025-03-01T00:00:00Z');
    const before = times.filter((t) => t < fromMs).length;
    expect(before).toBeGreaterThan(0);
    const path = join(dir, 'ordered.jsonl');
    const windowed = await replayEvents({ eventsPath: path, pack: DEFAULT_PACK, fromMs });
    const fresh = await replayEvents({ eventsPath: path, pack: DEFAULT_PACK, fromMs, history: false });
    expect(windowed.history).toBe(before);
    expect(windowed.outsideWindow).toBe(0);
    expect(fresh.history).toBe(0);
    expect(fresh.outsideWindow).toBe(before);

    // Nothing recorded before --from; the window's outputs are the full replay's from then on.
    const at = (m: { createdAt: string }) => Date.parse(m.createdAt);
    expect(windowed.messages.length).toBeGreaterThan(0);
    // A message decided before the window and held is queued in it when its send time comes.
    expect(windowed.messages.filter((m) => Date.parse(m.sendAt) < fromMs - 15 * 60_000)).toEqual([]);
    const full = new Set(ordered.messages.map((m) => JSON.stringify(m)));
    for (const m of windowed.messages) expect(full.has(JSON.stringify(m)), m.messageId).toBe(true);
    const inWindow = new Set(windowed.messages.map((m) => m.messageId));
    for (const m of ordered.messages.filter((x) => at(x) >= fromMs))
      expect(inWindow.has(m.messageId), m.messageId).toBe(true);
    const key = (b: { customerId: string; entryId: string }) => `${b.customerId} ${b.entryId}`;
    expect(windowed.bonuses.map(key).sort()).toEqual(
      ordered.bonuses
        .filter((b) => Date.parse(b.at) >= fromMs)
        .map(key)
        .sort(),
    );

    // Without history every customer's first order in the window is a first order again.
    const firstOrders = (r: ReplayResult) =>
      r.summary.rows().find((row) => row.campaignId === 'first-order-thank-you')?.fired ?? 0;
    expect(firstOrders(fresh)).toBeGreaterThan(firstOrders(windowed));
  });

  it('rejects an event dated after the wall clock: one typo does not stretch the run', async () => {
    const order = events.find((e) => e['detail-type'] === 'OrderPlaced');
    if (order === undefined) throw new Error('fixture has no order');
    const typo = {
      ...order,
      id: 'typo-1',
      time: '2031-03-03T10:00:00Z',
      detail: { ...order.detail, placedAt: undefined },
    };
    const path = join(dir, 'typo.jsonl');
    writeFileSync(path, `${[...events, typo].map((e) => JSON.stringify(e)).join('\n')}\n`);
    const lastMs = Math.max(...events.map((e) => Date.parse(e.time)));
    const nowMs = Date.parse('2026-06-01T00:00:00Z');
    const run = await replayEvents({ eventsPath: path, pack: DEFAULT_PACK, nowMs });
    expect(run.rejected).toEqual([
      {
        line: events.length + 1,
        eventId: 'typo-1',
        reason: expect.stringContaining('24 h'),
        path: 'time',
        rule: 'future',
      },
    ]);
    expect(run.validationNowMs).toBe(nowMs);
    expect(run.events).toBe(events.length);
    // The run ends after the last valid event, as without the typo.
    expect(run.endMs).toBe(ordered.endMs);
    expect(run.endMs).toBeLessThan(lastMs + 2 * 24 * 3_600_000);
    // History older than the wall clock validates against its latest event + 1 day, as before.
    expect(ordered.validationNowMs).toBe(lastMs + 24 * 3_600_000);
  });

  it('writes the outputs the README lists', () => {
    const out = join(dir, 'out');
    writeOutputs(out, shuffled, { command: 'replay' });
    const rejected = readFileSync(join(out, 'rejected.jsonl'), 'utf8').trim().split('\n');
    expect(rejected.map((l) => JSON.parse(l).line)).toEqual([BAD.json, BAD.future, BAD.invalid]);
    const messages = readFileSync(join(out, 'messages.jsonl'), 'utf8').trim().split('\n');
    expect(messages).toHaveLength(shuffled.messages.length);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ command: 'replay', rejected: 3, messages: shuffled.messages.length });
    expect(summary.requests.writes).toBeGreaterThan(0);
    for (const f of ['bonuses.jsonl', 'suppressed.jsonl'])
      expect(readFileSync(join(out, f), 'utf8')).toBeDefined();
  });
});
