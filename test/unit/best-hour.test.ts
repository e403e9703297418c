/**
 * Best-hour sending: the learned hour itself (evidence, ties, allowed hours), where scheduled and
 * event-driven campaigns send with it (time zones with and without DST), the schedule listing that must
 * not reuse windows across an engagement change, and a property: sent messages are never in quiet hours
 * and go out at the learned hour whenever there is one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bestLocalHour,
  bindingQuietHours,
  desiredSendMs,
  heldToBestHour,
  isAllowedHour,
  sendHourFor,
} from '../../functions/domain/best-hour.ts';
import type { BestHour, CampaignFile } from '../../functions/domain/campaign.ts';
import type { Channel, CustomerState } from '../../functions/domain/customer-state.ts';
import { copyState } from '../../functions/domain/customer-state.ts';
import { evaluateScheduled, nextDue, processEvent } from '../../functions/domain/engine.ts';
import { listed, listing } from '../../functions/domain/schedule.ts';
import type { QuietHours } from '../../functions/domain/time.ts';
import type { CampaignInput, CustomerInput } from './engine-fixtures.ts';
import {
  campaign,
  ctxOf,
  customer,
  DAY,
  event,
  HOUR,
  orderEvent,
  pack,
  quietAt,
  wall,
} from './engine-fixtures.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const at = (s: string) => Date.parse(s);

/** Engagement counters: `{ 19: 5 }` → 5 opens and clicks at 19:00–19:59 local. */
function counts(byHour: Record<number, number>): number[] {
  return Array.from({ length: 24 }, (_, h) => byHour[h] ?? 0);
}

function withEngagement(state: CustomerState, byHour: Record<number, number>): CustomerState {
  const next = copyState(state);
  next.engagement = { byLocalHour: counts(byHour), lastAt: null };
  return next;
}

const options = (o: Partial<BestHour> = {}): BestHour => ({ minEngagements: 5, from: 0, to: 23, ...o });
const NIGHT: QuietHours = { start: 21, end: 9 };

// ---------------------------------------------------------------------------------------------
// The learned hour

describe('bestLocalHour', () => {
  it.each<[string, Record<number, number>, BestHour, number, QuietHours | null, number | null]>([
    ['no evidence: the campaign hour', {}, options(), 10, null, null],
    ['below the minimum: the campaign hour', { 19: 4 }, options(), 10, null, null],
    ['the minimum reached at one hour', { 19: 5 }, options(), 10, null, 19],
    ['evidence summed over hours, the busiest wins', { 8: 2, 19: 3 }, options(), 10, null, 19],
    ['a minimum of 1 learns from a single open', { 7: 1 }, options({ minEngagements: 1 }), 10, null, 7],
    ['a tie goes to the hour closest to the campaign hour', { 8: 4, 13: 4 }, options(), 10, null, 8],
    ['… on the clock, across midnight', { 23: 4, 5: 4 }, options(), 1, null, 23],
    ['an exact tie in distance goes to the lower hour', { 8: 4, 12: 4 }, options(), 10, null, 8],
    ['a quiet hour is never learned', { 22: 10, 19: 5 }, options(), 10, NIGHT, 19],
    ['evidence at quiet hours does not count', { 22: 10, 19: 1 }, options(), 10, NIGHT, null],
    ['only quiet evidence: no hour', { 23: 9, 3: 9 }, options(), 10, NIGHT, null],
    ['outside from..to is never learned', { 9: 9, 13: 5 }, options({ from: 12, to: 14 }), 10, null, 13],
    ['from..to wraps midnight', { 23: 5, 12: 9 }, options({ from: 20, to: 2 }), 10, null, 23],
    ['from..to and quiet hours together', { 21: 9, 18: 5 }, options({ from: 18, to: 22 }), 10, NIGHT, 18],
    ['quiet hours from 0 to 7, not wrapping', { 3: 9, 7: 5 }, options(), 10, { start: 0, end: 7 }, 7],
    ['empty quiet hours restrict nothing', { 23: 5 }, options(), 10, { start: 9, end: 9 }, 23],
  ])('%s', (_name, byHour, opts, own, quiet, expected) => {
    expect(bestLocalHour({ byLocalHour: counts(byHour), lastAt: null }, opts, own, quiet)).toBe(expected);
  });

  it('ignores malformed counters (negative, NaN, missing hours) instead of failing', () => {
    const byLocalHour = [Number.NaN, -7, 2, 3];
    expect(bestLocalHour({ byLocalHour, lastAt: null }, options(), 10, null)).toBe(3);
    expect(bestLocalHour({ byLocalHour: [], lastAt: null }, options(), 10, null)).toBeNull();
  });

  it('does not depend on the order the engagements came in (the counts are all it reads)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 23 }), { maxLength: 60 }),
        fc.integer({ min: 0, max: 23 }),
        (hours, own) => {
          const forward = counts({});
          for (const h of hours) forward[h] = (forward[h] ?? 0) + 1;
          const result = bestLocalHour({ byLocalHour: forward, lastAt: null }, options(), own, NIGHT);
          expect(result).toBe(oracle(forward, options(), own, NIGHT));
        },
      ),
      { numRuns: 300, seed: 8 },
    );
  });
});

describe('isAllowedHour', () => {
  it.each<[number, Pick<BestHour, 'from' | 'to'>, QuietHours | null, boolean]>([
    [0, { from: 0, to: 23 }, null, true],
    [23, { from: 0, to: 23 }, null, true],
    [21, { from: 0, to: 23 }, NIGHT, false],
    [8, { from: 0, to: 23 }, NIGHT, false],
    [9, { from: 0, to: 23 }, NIGHT, true],
    [20, { from: 0, to: 23 }, NIGHT, true],
    [14, { from: 14, to: 14 }, null, true],
    [15, { from: 14, to: 14 }, null, false],
    [1, { from: 22, to: 2 }, null, true],
    [3, { from: 22, to: 2 }, null, false],
  ])('hour %i in %o with quiet hours %o: %s', (hour, range, quiet, expected) => {
    expect(isAllowedHour(hour, range, quiet)).toBe(expected);
  });
});

describe('bindingQuietHours', () => {
  const quiet = { start: 21, end: 9, channels: ['sms', 'push'] as Channel[] };
  it.each<[string, Channel[], typeof quiet, QuietHours | null]>([
    ['a push campaign is bound', ['push', 'email'], quiet, { start: 21, end: 9 }],
    ['an email-only campaign is not', ['email'], quiet, null],
    ['a silent campaign is not', [], quiet, null],
    ['empty quiet hours bind nothing', ['sms'], { ...quiet, start: 9, end: 9 }, null],
  ])('%s', (_name, channels, q, expected) => {
    expect(bindingQuietHours({ channels }, q)).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// Scheduled campaigns: the window opens at the learned hour of the due day

const birthday = (extra: Partial<CampaignInput> = {}): CampaignInput => ({
  id: 'bday',
  trigger: { type: 'birthday' },
  reward: { points: 500 },
  channels: ['push', 'email'],
  sendHour: 10,
  bestHour: {},
  ...extra,
});

describe('scheduled windows with best hour', () => {
  it.each<[string, Partial<CampaignInput>, CustomerInput, Record<number, number>, string, string]>([
    [
      'no evidence: sendHour, Moscow',
      {},
      { timeZone: 'Europe/Moscow', birthday: '1990-05-15' },
      {},
      '2026-05-01T00:00:00Z',
      '2026-05-15T07:00:00.000Z',
    ],
    [
      'evidence: the learned hour, Moscow',
      {},
      { timeZone: 'Europe/Moscow', birthday: '1990-05-15' },
      { 19: 5 },
      '2026-05-01T00:00:00Z',
      '2026-05-15T16:00:00.000Z',
    ],
    [
      'Asia/Vladivostok (UTC+10 all year)',
      {},
      { timeZone: 'Asia/Vladivostok', birthday: '1990-01-20' },
      { 18: 6, 11: 2 },
      '2026-01-01T00:00:00Z',
      '2026-01-20T08:00:00.000Z',
    ],
    [
      'America/St_Johns in winter (UTC-3:30)',
      {},
      { timeZone: 'America/St_Johns', birthday: '1990-01-20' },
      { 19: 5 },
      '2026-01-01T00:00:00Z',
      '2026-01-20T22:30:00.000Z',
    ],
    [
      'America/St_Johns in summer (UTC-2:30)',
      {},
      { timeZone: 'America/St_Johns', birthday: '1990-07-20' },
      { 19: 5 },
      '2026-07-01T00:00:00Z',
      '2026-07-20T21:30:00.000Z',
    ],
    [
      'America/St_Johns on the spring-forward day, after the change',
      {},
      { timeZone: 'America/St_Johns', birthday: '1990-03-08' },
      { 12: 5 },
      '2026-03-01T00:00:00Z',
      '2026-03-08T14:30:00.000Z',
    ],
    [
      'Europe/Berlin in summer: a quiet best hour gives way to the best allowed one',
      {},
      { timeZone: 'Europe/Berlin', birthday: '1990-06-10' },
      { 22: 10, 20: 5 },
      '2026-06-01T00:00:00Z',
      '2026-06-10T18:00:00.000Z',
    ],
    [
      'Europe/Berlin, email only: a night hour is allowed; 02:00 in the spring gap becomes 03:00 CEST',
      { channels: ['email'] },
      { timeZone: 'Europe/Berlin', birthday: '1990-03-29' },
      { 2: 5 },
      '2026-03-20T00:00:00Z',
      '2026-03-29T01:00:00.000Z',
    ],
    [
      'only quiet evidence: sendHour',
      {},
      { timeZone: 'Europe/Berlin', birthday: '1990-06-10' },
      { 23: 20, 6: 20 },
      '2026-06-01T00:00:00Z',
      '2026-06-10T08:00:00.000Z',
    ],
    [
      'a campaign that does not opt in keeps sendHour whatever the evidence',
      { bestHour: undefined },
      { timeZone: 'Europe/Moscow', birthday: '1990-05-15' },
      { 19: 50 },
      '2026-05-01T00:00:00Z',
      '2026-05-15T07:00:00.000Z',
    ],
  ])('%s', (_name, extra, who, byHour, now, expected) => {
    // Prepare
    const p = pack({ campaigns: [birthday(extra)] });
    const state = withEngagement(customer(who, p), byHour);

    // Act
    const due = nextDue(state, ctxOf(p), at(now));

    // Assess
    expect(due === null ? null : iso(due)).toBe(expected);
  });

  it('sends at the learned hour on the due day, with the same occurrence key and message id', () => {
    // Prepare
    const p = pack({ campaigns: [birthday()] });
    const plain = pack({ campaigns: [birthday({ bestHour: undefined })] });
    const who = { timeZone: 'Asia/Vladivostok', birthday: '1990-01-20' };
    const state = withEngagement(customer(who, p), { 18: 6 });

    // Act
    const due = nextDue(state, ctxOf(p), at('2026-01-01T00:00:00Z')) ?? 0;
    const out = evaluateScheduled(state, ctxOf(p), due);
    const reference = evaluateScheduled(state, ctxOf(plain), at('2026-01-20T00:00:00Z'));

    // Assess
    expect(out.messages.map((m) => [m.channel, m.sendAt])).toEqual([['push', '2026-01-20T08:00:00.000Z']]);
    expect(out.decisions.map((d) => d.occurrenceKey)).toEqual(
      reference.decisions.map((d) => d.occurrenceKey),
    );
    expect(out.messages.map((m) => m.messageId)).toEqual(reference.messages.map((m) => m.messageId));
  });

  it('learns from MessageEngaged events and moves the next due instant when the best hour changes', () => {
    // Prepare: Moscow is UTC+3 all year, so 16:xxZ is 19:xx local and 05:xxZ is 08:xx.
    const p = pack({ campaigns: [birthday({ channels: ['email'] })] });
    const ctx = ctxOf(p);
    let state = customer({ timeZone: 'Europe/Moscow', birthday: '1990-05-15' }, p);
    const engage = (time: string, kind: 'opened' | 'clicked' = 'opened') => {
      const e = event('MessageEngaged', time, { customerId: 'c-1', messageId: `m-${time}`, kind });
      state = processEvent(state, e, ctx, at(time)).state;
    };
    const dueNow = () => iso(nextDue(state, ctx, at('2026-05-01T00:00:00Z')) ?? 0);

    // Act / Assess
    expect(dueNow()).toBe('2026-05-15T07:00:00.000Z');
    for (const day of ['01', '02', '03', '04']) engage(`2026-04-${day}T16:10:00Z`);
    expect(dueNow()).toBe('2026-05-15T07:00:00.000Z');
    engage('2026-04-05T16:40:00Z', 'clicked');
    expect(dueNow()).toBe('2026-05-15T16:00:00.000Z');
    for (const day of ['06', '07', '08', '09', '10', '11']) engage(`2026-04-${day}T05:05:00Z`);
    expect(dueNow()).toBe('2026-05-15T05:00:00.000Z');
  });

  it('still defers the learned hour by the frequency cap', () => {
    // Prepare: a cap of 1 a week and two campaigns due at the same learned hour on the same day.
    const p = pack({
      guardrails: { frequencyCap: { count: 1, days: 7 } },
      campaigns: [
        birthday({ priority: 60 }),
        {
          ...birthday({ id: 'anniv', priority: 50, messageValidityHours: 240 }),
          trigger: { type: 'anniversary', everyMonths: 12 },
        },
      ],
    });
    const who = { timeZone: 'Europe/Moscow', birthday: '1990-05-15', registeredAt: '2025-05-15T00:00:00Z' };
    const state = withEngagement(customer(who, p), { 19: 5 });

    // Act
    const due = nextDue(state, ctxOf(p), at('2026-05-01T00:00:00Z')) ?? 0;
    const out = evaluateScheduled(state, ctxOf(p), due);

    // Assess
    expect(iso(due)).toBe('2026-05-15T16:00:00.000Z');
    expect(out.decisions.map((d) => [d.key, d.type === 'Issued' ? iso(d.sendAtMs ?? 0) : d.type])).toEqual([
      ['bday#2026', '2026-05-15T16:00:00.000Z'],
      ['anniv#1', '2026-05-22T16:00:00.000Z'],
    ]);
  });
});

describe('schedule listing', () => {
  it('reuses a best-hour campaign’s windows only when the engagement counts are the same', () => {
    // Prepare
    const p = pack({
      campaigns: [birthday(), birthday({ id: 'plain', bestHour: undefined, priority: 40 })],
    });
    const ctx = ctxOf(p);
    const nowMs = at('2026-05-01T00:00:00Z');
    const before = withEngagement(customer({ timeZone: 'Europe/Moscow', birthday: '1990-05-15' }, p), {});
    const first = listing(before, ctx, nowMs);
    listed(first, 0);
    listed(first, 1);

    // Act
    const same = listing(withEngagement(before, {}), ctx, nowMs, first);
    const learned = listing(withEngagement(before, { 19: 5 }), ctx, nowMs, first);

    // Assess: the listing's campaigns are by priority: bday (50) first, plain (40) second.
    expect(first.campaigns.map((c) => c.campaign.id)).toEqual(['bday', 'plain']);
    expect(same.lists[0]).toBe(first.lists[0]);
    expect(learned.lists[0]).toBeNull();
    expect(learned.lists[1]).toBe(first.lists[1]);
    expect(listed(learned, 0).map((w) => iso(w.fromMs))).toEqual([
      '2026-05-15T16:00:00.000Z',
      '2027-05-15T16:00:00.000Z',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Event-driven campaigns: held to the next learned hour

describe('heldToBestHour', () => {
  const c = campaign({ ...birthday({ trigger: { type: 'milestone', metric: 'orders', threshold: 1 } }) });
  const quiet = { start: 21, end: 9, channels: ['sms', 'push'] as Channel[] };
  const moscow = withEngagement(customer({ timeZone: 'Europe/Moscow' }), { 19: 5 });
  it.each<[string, CustomerState, string, string]>([
    ['before the learned hour: later that day', moscow, '2026-05-10T09:00:00Z', '2026-05-10T16:00:00.000Z'],
    ['during the learned hour: at once', moscow, '2026-05-10T16:40:00Z', '2026-05-10T16:40:00.000Z'],
    ['after it: the next day', moscow, '2026-05-10T17:00:00Z', '2026-05-11T16:00:00.000Z'],
    [
      'without evidence: its sendHour (10:00 Moscow), the next day once past',
      customer({ timeZone: 'Europe/Moscow' }),
      '2026-05-10T09:00:00Z',
      '2026-05-11T07:00:00.000Z',
    ],
  ])('%s', (_name, state, now, expected) => {
    expect(iso(heldToBestHour(state, c, quiet, 'Europe/Moscow', at(now)))).toBe(expected);
  });
});

describe('desiredSendMs', () => {
  const quiet = { start: 21, end: 9, channels: ['sms', 'push'] as Channel[] };
  const state = withEngagement(customer({ timeZone: 'Europe/Moscow' }), { 19: 5 });
  const milestone = campaign(birthday({ trigger: { type: 'milestone', metric: 'orders', threshold: 1 } }));
  const now = at('2026-05-10T09:00:00Z');
  it.each<[string, ReturnType<typeof campaign>, number, string]>([
    ['an event-driven campaign is held to the learned hour', milestone, now, '2026-05-10T16:00:00.000Z'],
    ['after its delay first', milestone, now + 9 * HOUR, '2026-05-11T16:00:00.000Z'],
    [
      'a scheduled one is not: a catch-up sends at once',
      campaign(birthday()),
      now,
      '2026-05-10T09:00:00.000Z',
    ],
    [
      'one without bestHour is held to its sendHour (10:00 Moscow)',
      campaign({
        ...birthday({ bestHour: undefined }),
        trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
      }),
      now,
      '2026-05-11T07:00:00.000Z',
    ],
    [
      'one with neither sends at once',
      campaign({
        ...birthday({ bestHour: undefined, sendHour: undefined }),
        trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
      }),
      now,
      '2026-05-10T09:00:00.000Z',
    ],
  ])('%s', (_name, c, dueMs, expected) => {
    expect(iso(desiredSendMs(state, c, dueMs, now, quiet, 'Europe/Moscow'))).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: never quiet, and at the learned hour whenever there is one

/** Independent oracle: the allowed hour with the most engagements, ties by clock distance, then lower. */
function oracle(byHour: number[], o: BestHour, own: number, quiet: QuietHours | null): number | null {
  const allowed = (h: number) => {
    const inRange = o.from <= o.to ? h >= o.from && h <= o.to : h >= o.from || h <= o.to;
    const isQuiet =
      quiet !== null &&
      quiet.start !== quiet.end &&
      (quiet.start < quiet.end ? h >= quiet.start && h < quiet.end : h >= quiet.start || h < quiet.end);
    return inRange && !isQuiet;
  };
  const rows = byHour
    .map((n, h) => ({ h, n, d: Math.min(Math.abs(h - own), 24 - Math.abs(h - own)) }))
    .filter((r) => r.n > 0 && allowed(r.h));
  const evidence = rows.reduce((sum, r) => sum + r.n, 0);
  rows.sort((a, b) => b.n - a.n || a.d - b.d || a.h - b.h);
  return evidence >= o.minEngagements ? (rows[0]?.h ?? null) : null;
}

/** Whether local `hour:00` exists on a local date (found with Intl: not in a DST gap that day). */
function hourExists(zone: string, date: string, hour: number): boolean {
  const guess = Date.parse(`${date}T${String(hour).padStart(2, '0')}:00:00Z`);
  for (let t = guess - 15 * HOUR; t <= guess + 15 * HOUR; t += 15 * 60_000) {
    const w = wall(t, zone);
    if (w.date === date && w.hour === hour && w.minute === 0) return true;
  }
  return false;
}

function nextDate(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + DAY).toISOString().slice(0, 10);
}

const ZONES = [
  'Europe/Berlin',
  'America/St_Johns',
  'Asia/Vladivostok',
  'Europe/Moscow',
  'America/New_York',
  'Australia/Lord_Howe',
];

describe('best hour (property)', () => {
  const arbitrary = fc.record({
    zone: fc.constantFrom(...ZONES),
    engagements: fc.array(fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 1, max: 4 })), {
      maxLength: 8,
    }),
    minEngagements: fc.integer({ min: 1, max: 8 }),
    from: fc.integer({ min: 0, max: 23 }),
    to: fc.integer({ min: 0, max: 23 }),
    quiet: fc
      .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 23 }))
      .filter(([s, e]) => s !== e),
    channel: fc.constantFrom<Channel>('push', 'sms', 'email'),
    sendHour: fc.integer({ min: 0, max: 23 }),
    // A day of 2026 (DST changes in March, April, October and November included) and an order instant.
    dayOfYear: fc.integer({ min: 5, max: 355 }),
    orderMinute: fc.integer({ min: 0, max: 24 * 60 - 1 }),
  });

  type Case = typeof arbitrary extends fc.Arbitrary<infer T> ? T : never;

  function setup(a: Case) {
    const byHour: Record<number, number> = {};
    for (const [h, n] of a.engagements) byHour[h] = (byHour[h] ?? 0) + n;
    const quietHours = { start: a.quiet[0], end: a.quiet[1], channels: ['sms', 'push'] as Channel[] };
    const bestHour = { minEngagements: a.minEngagements, from: a.from, to: a.to };
    const bound = a.channel === 'email' ? null : { start: a.quiet[0], end: a.quiet[1] };
    const learned = oracle(counts(byHour), bestHour, a.sendHour, bound);
    return { byHour, quietHours, bestHour, learned };
  }

  it('a scheduled send is never quiet and opens at the learned hour on its day', () => {
    fc.assert(
      fc.property(arbitrary, (a) => {
        // Prepare
        const { byHour, quietHours, bestHour, learned } = setup(a);
        const day = new Date(Date.UTC(2026, 0, a.dayOfYear)).toISOString().slice(0, 10);
        const p: CampaignFile = pack({
          guardrails: { quietHours },
          campaigns: [birthday({ channels: [a.channel], sendHour: a.sendHour, bestHour })],
        });
        const ctx = ctxOf(p);
        const who = { timeZone: a.zone, birthday: `1990-${day.slice(5)}` };
        const state = withEngagement(customer(who, p), byHour);

        // Act
        const due = nextDue(state, ctx, Date.parse(`${day}T00:00:00Z`) - 3 * DAY) ?? 0;
        const out = evaluateScheduled(state, ctx, due);

        // Assess
        const own = campaign(birthday({ channels: [a.channel], sendHour: a.sendHour, bestHour }));
        expect(sendHourFor(state, own, quietHours)).toBe(learned ?? a.sendHour);
        const message = out.messages[0];
        expect(message).toBeDefined();
        const sent = at(message?.sendAt ?? '');
        if (a.channel !== 'email') expect(quietAt(sent, a.zone, a.quiet[0], a.quiet[1])).toBe(false);
        if (learned !== null) {
          const local = wall(sent, a.zone);
          if (hourExists(a.zone, day, learned))
            expect([local.date, local.hour, local.minute]).toEqual([day, learned, 0]);
          // In a DST gap the hour moves forward with the gap (and past quiet hours if it lands in them).
          else expect(sent).toBeGreaterThan(due - 1);
        }
      }),
      { numRuns: 300, seed: 20260808 },
    );
  });

  it('an event-driven send is never quiet and goes out within the learned hour, within a day', () => {
    fc.assert(
      fc.property(arbitrary, (a) => {
        // Prepare
        const { byHour, quietHours, bestHour, learned } = setup(a);
        const p = pack({
          guardrails: { quietHours },
          campaigns: [
            {
              id: 'first-order',
              trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
              reward: { points: 100 },
              channels: [a.channel],
              sendHour: a.sendHour,
              bestHour,
            },
          ],
        });
        const ctx = ctxOf(p);
        const state = withEngagement(customer({ timeZone: a.zone }, p), byHour);
        const placed = Date.UTC(2026, 0, a.dayOfYear) + a.orderMinute * 60_000;

        // Act
        const out = processEvent(state, orderEvent({ id: 'o-1', at: iso(placed), total: 50 }), ctx, placed);

        // Assess
        const message = out.messages[0];
        expect(message).toBeDefined();
        const sent = at(message?.sendAt ?? '');
        expect(sent).toBeGreaterThanOrEqual(placed);
        if (a.channel !== 'email') expect(quietAt(sent, a.zone, a.quiet[0], a.quiet[1])).toBe(false);
        // Held to the learned hour (never a quiet one), else to the campaign's sendHour (which quiet
        // hours may move on), that day, or the next day once it has passed.
        const hour = learned ?? a.sendHour;
        if (learned !== null || a.channel === 'email') {
          const placedLocal = wall(placed, a.zone);
          const target = placedLocal.hour < hour ? placedLocal.date : nextDate(placedLocal.date);
          if (placedLocal.hour === hour) expect(sent).toBe(placed);
          else if (hourExists(a.zone, target, hour)) {
            const local = wall(sent, a.zone);
            expect([local.date, local.hour, local.minute]).toEqual([target, hour, 0]);
            expect(sent - placed).toBeLessThanOrEqual(25 * HOUR);
          }
        }
      }),
      { numRuns: 300, seed: 20260809 },
    );
  });
});
