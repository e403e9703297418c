/**
 * Compiled schedules (functions/domain/schedule.ts) and the fast path of `evaluateScheduled`: a memoized
 * schedule may only ever say "nothing due" when the slow path (every open window through `decide`, plus
 * points expiry) has nothing to do either.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CampaignFile } from '../../functions/domain/campaign.ts';
import type { Channel, CustomerState } from '../../functions/domain/customer-state.ts';
import { emptyState } from '../../functions/domain/customer-state.ts';
import type { EngineContext } from '../../functions/domain/engine.ts';
import {
  decide,
  evaluateScheduled,
  nextDue,
  processEvent,
  scheduledCandidates,
} from '../../functions/domain/engine.ts';
import type { DomainEvent } from '../../functions/domain/events.ts';
import { expirePoints } from '../../functions/domain/points.ts';
import type { Purchase, ReplenishmentModel } from '../../functions/domain/replenishment.ts';
import { fitReplenishmentModel } from '../../functions/domain/replenishment.ts';
import { compileSchedule, forgetSchedule, isDueNow, scheduleOf } from '../../functions/domain/schedule.ts';
import type { CustomerInput } from './engine-fixtures.ts';
import { customer, DAY, event, HOUR, pack, wall } from './engine-fixtures.ts';
import { DEFAULT_PACK } from './fixtures.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const at = (s: string) => Date.parse(s);
const MINUTE = 60_000;

/** The default pack without some of its campaigns (a new pack object). */
function without(...ids: string[]): CampaignFile {
  return { ...DEFAULT_PACK, campaigns: DEFAULT_PACK.campaigns.filter((c) => !ids.includes(c.id)) };
}

/** The default pack with only the given campaigns. */
function only(...ids: string[]): CampaignFile {
  return { ...DEFAULT_PACK, campaigns: DEFAULT_PACK.campaigns.filter((c) => ids.includes(c.id)) };
}

/**
 * The slow path, independent of any memo: what `evaluateScheduled` has to do at `now` — expire a points
 * bucket, and every candidate of an open window that `decide` turns into a decision.
 */
function pendingWork(state: CustomerState, ctx: EngineContext, nowMs: number): string[] {
  const copy = structuredClone(state);
  const work: string[] = [];
  if (copy.points.buckets.some((b) => Date.parse(`${b.expiresOn}T00:00:00.000Z`) <= nowMs)) {
    expirePoints(copy, nowMs);
    work.push('points-expiry');
  }
  for (const d of decide(copy, scheduledCandidates(copy, ctx, nowMs), ctx, nowMs)) work.push(d.key);
  return work;
}

/** Whether `evaluateScheduled` on a memo-free copy of the state changes anything at `now`. */
function freshEvaluationActs(state: CustomerState, ctx: EngineContext, nowMs: number): boolean {
  const copy = structuredClone(state);
  const out = evaluateScheduled(copy, ctx, nowMs);
  return out.state !== copy || out.decisions.length > 0 || out.ledger.length > 0;
}

// ---------------------------------------------------------------------------------------------
// Property: the fast path never skips work

const START = at('2025-01-01T00:00:00Z');
const HISTORY_MINUTES = 365 * 24 * 60;
/** Instants run 15 months: the year of the history and the expiry of its first points buckets. */
const END = START + 455 * DAY;
const ZONES = [
  'Asia/Vladivostok',
  'Europe/Moscow',
  'Europe/Berlin',
  'America/New_York',
  'Australia/Lord_Howe',
  'Asia/Kathmandu',
  'Pacific/Chatham',
] as const;
const CATALOG = [
  { sku: 'COFFEE-1KG', category: 'coffee' },
  { sku: 'TEA-100', category: 'tea' },
  { sku: 'FILTER-80', category: 'coffee-filters' },
  { sku: 'SHAMPOO-500', category: 'shampoo' },
  { sku: 'DIAPERS-4', category: 'baby-food' },
] as const;

const arbStep = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('order' as const),
      minute: fc.integer({ min: 0, max: HISTORY_MINUTES }),
      items: fc.uniqueArray(fc.integer({ min: 0, max: CATALOG.length - 1 }), { minLength: 1, maxLength: 3 }),
      total: fc.oneof(fc.integer({ min: 5, max: 3_000 }), fc.integer({ min: 10_000, max: 60_000 })),
    }),
  },
  fc.record({
    kind: fc.constant('cancel' as const),
    minute: fc.integer({ min: 0, max: HISTORY_MINUTES }),
    which: fc.nat({ max: 12 }),
  }),
  fc.record({
    kind: fc.constant('consent' as const),
    minute: fc.integer({ min: 0, max: HISTORY_MINUTES }),
    channel: fc.constantFrom<Channel | 'all'>('email', 'sms', 'push', 'all'),
    granted: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('update' as const),
    minute: fc.integer({ min: 0, max: HISTORY_MINUTES }),
    patch: fc.oneof(
      fc.record({ country: fc.constantFrom('RU', 'KZ', 'DE') }),
      fc.record({ timeZone: fc.constantFrom(...ZONES) }),
      fc.record({ birthday: fc.constantFrom('1988-02-29', '1990-06-15', '--12-31', '2001-01-01') }),
    ),
  }),
  fc.record({
    kind: fc.constant('action' as const),
    minute: fc.integer({ min: 0, max: HISTORY_MINUTES }),
    action: fc.constantFrom('review', 'survey', 'referral'),
  }),
);

const arbBirthday = fc.oneof(
  fc.constant(null),
  fc.constantFrom('1992-02-29', '1985-01-01', '--03-01'),
  fc
    .date({ min: new Date('1960-01-01'), max: new Date('2006-12-31'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10)),
);

const arbCustomer = fc.record({
  zone: fc.option(fc.constantFrom(...ZONES), { nil: null }),
  birthday: arbBirthday,
  registeredMinute: fc.integer({ min: 0, max: 120 * 24 * 60 }),
  consents: fc.subarray(['email', 'sms', 'push'] as Channel[]),
  country: fc.constantFrom('RU', 'KZ', 'DE'),
  steps: fc.array(arbStep, { maxLength: 14 }),
  /** Instants to look at: minute of the 15 months, a millisecond, and maybe an earlier instant after it. */
  instants: fc.array(
    fc.record({
      minute: fc.integer({ min: 0, max: (END - START) / MINUTE }),
      ms: fc.nat({ max: MINUTE - 1 }),
      back: fc.option(fc.integer({ min: 1, max: 400 * 24 * 60 }), { nil: null }),
    }),
    { minLength: 3, maxLength: 12 },
  ),
  /** Also evaluate whenever the next-due index says so, as the dispatcher does. */
  indexed: fc.boolean(),
});
type ArbCustomer = typeof arbCustomer extends fc.Arbitrary<infer T> ? T : never;

/** The customer's shop events, through the real parser. */
function eventsOf(id: string, c: ArbCustomer): DomainEvent[] {
  const registeredAt = iso(START + c.registeredMinute * MINUTE);
  const contacts = { email: `${id}@example.com`, phone: '+79990001122', pushToken: `push-${id}` };
  const consents = Object.fromEntries(
    (['email', 'sms', 'push'] as const).map((ch) => [ch, c.consents.includes(ch)]),
  );
  const detail: Record<string, unknown> = {
    customerId: id,
    registeredAt,
    country: c.country,
    contacts,
    consents,
  };
  if (c.zone !== null) detail.timeZone = c.zone;
  if (c.birthday !== null) detail.birthday = c.birthday;
  const events: DomainEvent[] = [event('CustomerRegistered', registeredAt, detail, `${id}-reg`)];
  c.steps.forEach((s, i) => {
    const time = iso(START + s.minute * MINUTE);
    const eid = `${id}-e${i}`;
    switch (s.kind) {
      case 'order': {
        const lines = s.items.map((k) => {
          const { sku, category } = CATALOG[k] ?? CATALOG[0];
          return { sku, category, quantity: 1, unitPrice: s.total / s.items.length };
        });
        const detail = { customerId: id, orderId: `${id}-o${i}`, currency: 'EUR', total: s.total, lines };
        events.push(event('OrderPlaced', time, detail, eid));
        break;
      }
      case 'cancel':
        // May name an order not placed yet (a tombstone) or never placed at all.
        events.push(event('OrderCancelled', time, { customerId: id, orderId: `${id}-o${s.which}` }, eid));
        break;
      case 'consent':
        events.push(
          event('ConsentChanged', time, { customerId: id, channel: s.channel, granted: s.granted }, eid),
        );
        break;
      case 'update':
        events.push(event('CustomerUpdated', time, { customerId: id, ...s.patch }, eid));
        break;
      case 'action':
        events.push(
          event('ActionCompleted', time, { customerId: id, action: s.action, reference: eid }, eid),
        );
        break;
    }
  });
  return events;
}

interface Stats {
  notDue: number;
  due: number;
  firedByTrigger: Map<string, number>;
}

/**
 * Walks one customer's timeline in time order: events go through `processEvent`; at each instant the
 * property is checked (also at an earlier instant, and just before and at each due instant of an
 * indexed customer), then the sweep evaluates, so windows get decided as in production.
 */
function walkCustomer(id: string, c: ArbCustomer, ctx: EngineContext, stats: Stats): void {
  type Item = { at: number; seq: number } & ({ event: DomainEvent } | { back: number | null });
  const items: Item[] = [
    ...eventsOf(id, c).map((e, seq) => ({ at: Date.parse(e.at), seq, event: e })),
    ...c.instants.map((x, i) => ({ at: START + x.minute * MINUTE + x.ms, seq: 1000 + i, back: x.back })),
  ];
  items.sort((a, b) => a.at - b.at || a.seq - b.seq);

  const check = (state: CustomerState, nowMs: number) => {
    if (isDueNow(state, ctx, nowMs)) {
      stats.due++;
      return;
    }
    stats.notDue++;
    const work = pendingWork(state, ctx, nowMs);
    if (work.length > 0) throw new Error(`not due at ${iso(nowMs)} but pending: ${work.join(', ')}`);
    if (freshEvaluationActs(state, ctx, nowMs))
      throw new Error(`not due at ${iso(nowMs)} but a fresh evaluation acts`);
  };
  const sweep = (state: CustomerState, nowMs: number): CustomerState => {
    const out = evaluateScheduled(state, ctx, nowMs);
    for (const d of out.decisions) {
      const t = d.campaign.trigger.type;
      stats.firedByTrigger.set(t, (stats.firedByTrigger.get(t) ?? 0) + 1);
    }
    return out.state;
  };

  let state = emptyState('default', id);
  let now = START - DAY;
  let i = 0;
  for (let guard = 0; ; guard++) {
    if (guard > 2_000) throw new Error(`customer ${id} never settles`);
    const item = items[i];
    const nextAt = item?.at ?? END;
    if (c.indexed) {
      // The use cases index `nextDue` after every write; the dispatcher comes back then.
      const due = nextDue(state, ctx, now);
      if (due !== null && due < nextAt && due <= END) {
        if (due > now) check(state, due - 1);
        now = Math.max(now, due);
        check(state, now);
        state = sweep(state, now);
        continue;
      }
    }
    if (item === undefined) return;
    i++;
    now = item.at;
    if ('event' in item) {
      state = processEvent(state, item.event, ctx, now).state;
      continue;
    }
    check(state, now);
    // An earlier instant: the memo compiled at `now` must not be reused backwards.
    if (item.back !== null) check(state, now - item.back * MINUTE);
    state = sweep(state, now);
  }
}

describe('the fast path of evaluateScheduled (property)', () => {
  it('never says "nothing due" when the slow path or a fresh evaluation would act', () => {
    const stats: Stats = { notDue: 0, due: 0, firedByTrigger: new Map() };
    fc.assert(
      fc.property(
        fc.array(arbCustomer, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (customers, withModel) => {
          // The model is fitted on the purchases of the run's customers (all placed orders' lines).
          const purchases: Purchase[] = [];
          customers.forEach((c, n) => {
            for (const e of eventsOf(`c${n}`, c)) {
              if (e.type !== 'OrderPlaced') continue;
              for (const l of e.detail.lines)
                purchases.push({ customerId: e.customerId, sku: l.sku, day: e.at.slice(0, 10) });
            }
          });
          const model: ReplenishmentModel | null = withModel ? fitReplenishmentModel(purchases) : null;
          const ctx: EngineContext = { pack: DEFAULT_PACK, model };
          customers.forEach((c, n) => {
            walkCustomer(`c${n}`, c, ctx, stats);
          });
        },
      ),
      { numRuns: 150, seed: 20260401 },
    );
    // Not vacuous: both answers occurred, and every scheduled trigger of the pack decided something.
    expect(stats.notDue).toBeGreaterThan(1_000);
    expect(stats.due).toBeGreaterThan(100);
    for (const trigger of [
      'birthday',
      'anniversary',
      'dormancy',
      'replenishment',
      'points-expiring',
      'personal-offer',
    ]) {
      expect(stats.firedByTrigger.get(trigger) ?? 0, trigger).toBeGreaterThan(0);
    }
  });
});

describe('nextDue with a memoized schedule (property)', () => {
  // Personal offers only for customers drifting away: an open window out of that segment is looked at
  // again as time passes (a schedule compiled then says nothing of a later instant's eligibility).
  const drifting: CampaignFile = {
    ...DEFAULT_PACK,
    campaigns: DEFAULT_PACK.campaigns.map((c) =>
      c.id === 'personal-offers-weekly'
        ? { ...c, segment: { ...c.segment, rfm: ['at-risk', 'cant-lose', 'hibernating', 'lost'] } }
        : c,
    ),
  };

  it('is what compiling afresh at the same instant gives, wherever the memo was compiled', () => {
    let compared = 0;
    let answeredByMemo = 0;
    let handedOn = 0;
    fc.assert(
      fc.property(arbCustomer, fc.boolean(), (c, segmented) => {
        const ctx: EngineContext = { pack: segmented ? drifting : DEFAULT_PACK, model: null };
        const compare = (state: CustomerState, nowMs: number) => {
          const memo = scheduleOf(state, ctx, nowMs);
          if (memo.compiledAt < nowMs && memo.nextDue !== null && nowMs < memo.nextDue) answeredByMemo++;
          compared++;
          expect(nextDue(state, ctx, nowMs), iso(nowMs)).toBe(nextDue(structuredClone(state), ctx, nowMs));
        };
        const items = [
          ...eventsOf('c-n', c).map((e) => ({ at: Date.parse(e.at), event: e as DomainEvent | null })),
          ...c.instants.map((x) => ({ at: START + x.minute * MINUTE + x.ms, event: null })),
        ].sort((a, b) => a.at - b.at);
        // An evaluation that changes the state hands on the schedule it compiled from the windows it
        // listed: the one compiling the new state afresh gives.
        const evaluate = (state: CustomerState, nowMs: number): CustomerState => {
          const out = evaluateScheduled(state, ctx, nowMs).state;
          if (out !== state) {
            handedOn++;
            expect(scheduleOf(out, ctx, nowMs)).toEqual(compileSchedule(structuredClone(out), ctx, nowMs));
          }
          return out;
        };
        let state = emptyState('default', 'c-n');
        let now = START - DAY;
        for (const item of items) {
          // The dispatcher comes back at each due instant before the item.
          for (let guard = 0; guard < 200; guard++) {
            const due = nextDue(state, ctx, now);
            if (due === null || due >= item.at) break;
            now = Math.max(now, due);
            compare(state, now);
            state = evaluate(state, now);
          }
          now = item.at;
          if (item.event !== null) {
            state = processEvent(state, item.event, ctx, now).state;
            continue;
          }
          compare(state, now);
          state = evaluate(state, now);
          compare(state, now + 3 * HOUR);
        }
      }),
      { numRuns: 120, seed: 20261126 },
    );
    // Not vacuous: many answers came from a schedule compiled at an earlier instant.
    expect(compared).toBeGreaterThan(1_000);
    expect(answeredByMemo).toBeGreaterThan(200);
    expect(handedOn).toBeGreaterThan(200);
  });
});

// ---------------------------------------------------------------------------------------------
// The memo

describe('schedule memo', () => {
  const ctx: EngineContext = { pack: DEFAULT_PACK, model: null };
  /** Birthday on 2026-03-17, 10:00 in Vladivostok (00:00 UTC), for three days after. */
  const birthdayCustomer = (input: CustomerInput = {}) =>
    customer({ timeZone: 'Asia/Vladivostok', birthday: '1990-03-17', ...input }, DEFAULT_PACK);
  const BEFORE = at('2026-03-10T00:00:00Z');
  const OPEN = at('2026-03-17T01:00:00Z');

  it('leaves JSON, structuredClone, spreads and equality unchanged', () => {
    // Prepare
    const state = birthdayCustomer();
    const json = JSON.stringify(state);
    const before = structuredClone(state);
    const keys = Reflect.ownKeys(state);
    // Act
    expect(isDueNow(state, ctx, BEFORE)).toBe(false);
    expect(isDueNow(state, ctx, OPEN)).toBe(true);
    // Assess
    expect(JSON.stringify(state)).toBe(json);
    expect(structuredClone(state)).toStrictEqual(before);
    expect({ ...state }).toStrictEqual(before);
    expect(state).toEqual(before);
    expect(state).toStrictEqual(before);
    expect(before).toStrictEqual(state);
    expect(Object.keys(state)).toEqual(Object.keys(before));
    expect(Reflect.ownKeys({ ...state })).toEqual(keys);
  });

  it('goes with the state object: a spread or a clone compiles its own', () => {
    const state = birthdayCustomer();
    const compiled = scheduleOf(state, ctx, BEFORE);
    expect(scheduleOf(state, ctx, BEFORE + HOUR)).toBe(compiled);
    expect(scheduleOf({ ...state }, ctx, BEFORE + HOUR)).not.toBe(compiled);
    expect(scheduleOf(structuredClone(state), ctx, BEFORE + HOUR).compiledAt).toBe(BEFORE + HOUR);
  });

  it('is reused forward in time and compiled again for an earlier instant', () => {
    const state = birthdayCustomer();
    const compiled = scheduleOf(state, ctx, BEFORE);
    expect(compiled.nextDue).toBe(at('2026-03-17T00:00:00Z'));
    expect(scheduleOf(state, ctx, OPEN)).toBe(compiled);
    const earlier = scheduleOf(state, ctx, BEFORE - DAY);
    expect(earlier).not.toBe(compiled);
    expect(earlier.compiledAt).toBe(BEFORE - DAY);
  });

  it('is compiled again past its horizon', () => {
    const state = birthdayCustomer();
    const compiled = scheduleOf(state, ctx, BEFORE);
    expect(Number.isFinite(compiled.horizon)).toBe(true);
    const later = scheduleOf(state, ctx, compiled.horizon);
    expect(later).not.toBe(compiled);
    expect(later.compiledAt).toBe(compiled.horizon);
  });

  it('is compiled again for another pack object', () => {
    const state = birthdayCustomer();
    expect(isDueNow(state, ctx, OPEN)).toBe(true);
    const noBirthday: EngineContext = { pack: without('birthday-bonus'), model: null };
    expect(isDueNow(state, noBirthday, OPEN)).toBe(false);
    expect(isDueNow(state, ctx, OPEN)).toBe(true);
    // The same campaigns in another pack object compile too (the memo never compares contents).
    const compiled = scheduleOf(state, ctx, OPEN);
    expect(scheduleOf(state, { pack: { ...DEFAULT_PACK }, model: null }, OPEN)).not.toBe(compiled);
  });

  describe('with a replenishment model', () => {
    // Three coffee buyers every 30 days: the sku is replenishable; c-1's nudge is open in mid-April.
    const purchases: Purchase[] = ['c-1', 'c-2', 'c-3'].flatMap((customerId) =>
      ['2026-01-01', '2026-01-31', '2026-03-02'].map((day) => ({ customerId, sku: 'COFFEE-1KG', day })),
    );
    // Calendar days: two months of data would make a seasonal profile of three purchase days.
    const model = fitReplenishmentModel(purchases, { seasonality: false });
    const buyer = () =>
      customer(
        {
          timeZone: 'Europe/Moscow',
          orders: ['2026-01-01', '2026-01-31', '2026-03-02'].map((day, i) => ({
            id: `o${i}`,
            at: `${day}T09:00:00Z`,
            total: 20,
            lines: [{ sku: 'COFFEE-1KG', category: 'coffee' }],
          })),
        },
        DEFAULT_PACK,
      );
    const replenishOnly = only('replenishment-reminder');
    /** The instant the nudge window opens, from the model. */
    const opens = (state: CustomerState) =>
      nextDue(structuredClone(state), { pack: replenishOnly, model }, at('2026-03-03T00:00:00Z'));

    it('is compiled again for another model', () => {
      const state = buyer();
      const open = opens(state);
      expect(open).not.toBeNull();
      const t = (open ?? 0) + MINUTE;
      expect(isDueNow(state, { pack: replenishOnly, model: null }, t)).toBe(false);
      expect(isDueNow(state, { pack: replenishOnly, model }, t)).toBe(true);
    });

    it('is compiled again when the context’s model is replaced in place', () => {
      // The simulation refits its model into the same context object every 30 days.
      const state = buyer();
      const t = (opens(state) ?? 0) + MINUTE;
      const shared: EngineContext = { pack: replenishOnly, model: null };
      expect(isDueNow(state, shared, t - DAY)).toBe(false);
      shared.model = model;
      expect(isDueNow(state, shared, t)).toBe(true);
      expect(evaluateScheduled(state, shared, t).decisions.map((d) => d.campaign.id)).toEqual([
        'replenishment-reminder',
      ]);
    });
  });

  it('is dropped by forgetSchedule: the next call compiles at its own instant', () => {
    const state = birthdayCustomer();
    const compiled = scheduleOf(state, ctx, BEFORE);
    forgetSchedule(state);
    const again = scheduleOf(state, ctx, BEFORE + HOUR);
    expect(again).not.toBe(compiled);
    expect(again.compiledAt).toBe(BEFORE + HOUR);
    // Forgetting a state that has no memo is harmless.
    expect(() => forgetSchedule(birthdayCustomer())).not.toThrow();
  });

  it('is what nextDue compiled: a sweep right after indexing reuses it', () => {
    const state = birthdayCustomer();
    expect(nextDue(state, ctx, BEFORE)).toBe(at('2026-03-17T00:00:00Z'));
    expect(scheduleOf(state, ctx, OPEN).compiledAt).toBe(BEFORE);
  });

  it('is kept by evaluateScheduled when nothing is due, and gone with the new state when it decides', () => {
    const state = birthdayCustomer();
    const quiet = evaluateScheduled(state, ctx, BEFORE);
    expect(quiet.state).toBe(state);
    const compiled = scheduleOf(state, ctx, BEFORE + HOUR);
    expect(compiled.compiledAt).toBe(BEFORE);
    const fired = evaluateScheduled(state, ctx, OPEN);
    expect(fired.decisions.map((d) => d.key)).toEqual(['birthday-bonus#2026']);
    // The new state compiles its own schedule (the birthday's 500 points open a points-expiring window).
    const after = scheduleOf(fired.state, ctx, OPEN);
    expect(after.compiledAt).toBe(OPEN);
    expect(evaluateScheduled(fired.state, ctx, OPEN).decisions.map((d) => d.key)).toEqual([
      'points-expiring-30-days#2026-04-16',
    ]);
  });

  it('works on frozen states, keeping no memo on them', () => {
    const state = Object.freeze(birthdayCustomer());
    expect(isDueNow(state, ctx, BEFORE)).toBe(false);
    expect(isDueNow(state, ctx, OPEN)).toBe(true);
    expect(nextDue(state, ctx, BEFORE)).toBe(at('2026-03-17T00:00:00Z'));
    expect(evaluateScheduled(state, ctx, OPEN).decisions).toHaveLength(1);
    // Frozen after a memo was kept: the memo is still used forward, and compiling again does not throw.
    const memoized = birthdayCustomer();
    scheduleOf(memoized, ctx, BEFORE);
    Object.freeze(memoized);
    expect(isDueNow(memoized, ctx, OPEN)).toBe(true);
    expect(isDueNow(memoized, ctx, BEFORE - DAY)).toBe(false);
    expect(evaluateScheduled(memoized, ctx, BEFORE).decisions).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// nextDue is the first instant evaluateScheduled acts

describe('nextDue', () => {
  interface Row {
    name: string;
    pack: CampaignFile;
    who: CustomerInput;
    now: string;
    due: string;
    /** What the evaluation at the due instant decides (or `points-expiry` for a bucket's expiry). */
    acts: string[];
  }
  const rows: Row[] = [
    {
      name: 'a birthday next week, at 10:00 local in Asia/Vladivostok',
      pack: DEFAULT_PACK,
      who: { timeZone: 'Asia/Vladivostok', birthday: '1990-03-17', registeredAt: '2025-11-20T00:00:00Z' },
      now: '2026-03-10T05:00:00Z',
      due: '2026-03-17T00:00:00.000Z',
      acts: ['birthday-bonus#2026'],
    },
    {
      name: 'the half-year anniversary of a registration on Aug 31 (Feb 28, 11:00 Moscow)',
      pack: DEFAULT_PACK,
      who: { timeZone: 'Europe/Moscow', registeredAt: '2025-08-31T12:00:00Z' },
      now: '2026-02-01T00:00:00Z',
      due: '2026-02-28T08:00:00.000Z',
      acts: ['anniversary-6-months#1'],
    },
    {
      name: 'the yearly anniversary, with the half-year one already past',
      pack: DEFAULT_PACK,
      who: { timeZone: 'America/New_York', registeredAt: '2025-03-09T15:00:00Z' },
      now: '2026-01-15T00:00:00Z',
      // 11:00 EDT on 2026-03-09 (DST began on 03-08).
      due: '2026-03-09T15:00:00.000Z',
      acts: ['anniversary-yearly#1'],
    },
    {
      name: 'a points bucket expiring at the start of its day (UTC)',
      pack: without(
        ...DEFAULT_PACK.campaigns
          .filter((c) =>
            [
              'birthday',
              'anniversary',
              'dormancy',
              'replenishment',
              'points-expiring',
              'personal-offer',
            ].includes(c.trigger.type),
          )
          .map((c) => c.id),
      ),
      who: {
        timeZone: 'Asia/Vladivostok',
        orders: [{ id: 'o1', at: '2025-03-10T12:00:00Z', total: 5_000, lines: [{ sku: 'TEA-100' }] }],
      },
      now: '2026-03-01T00:00:00Z',
      due: '2026-03-10T00:00:00.000Z',
      acts: ['points-expiry'],
    },
    {
      name: 'points about to expire: 30 days before, at 11:00 local',
      pack: only('points-expiring-30-days'),
      who: {
        timeZone: 'Europe/Moscow',
        orders: [{ id: 'o1', at: '2025-03-10T12:00:00Z', total: 20_000, lines: [{ sku: 'TEA-100' }] }],
      },
      now: '2026-01-01T00:00:00Z',
      due: '2026-02-08T08:00:00.000Z',
      acts: ['points-expiring-30-days#2026-03-10'],
    },
  ];

  /** What an evaluation on a memo-free copy does at `nowMs`. */
  function actsAt(state: CustomerState, ctx: EngineContext, nowMs: number): string[] {
    const copy = structuredClone(state);
    const out = evaluateScheduled(copy, ctx, nowMs);
    const acts = out.decisions.map((d) => d.key);
    if (out.ledger.some((e) => e.reason === 'expiry')) acts.push('points-expiry');
    return acts;
  }

  it.each(rows)('is the first instant evaluateScheduled acts: $name', (row) => {
    // Prepare
    const ctx: EngineContext = { pack: row.pack, model: null };
    const state = customer({ firstName: 'Ann', ...row.who }, row.pack);
    const nowMs = at(row.now);
    // Act
    const due = nextDue(state, ctx, nowMs);
    // Assess
    expect(iso(due ?? 0)).toBe(row.due);
    const dueMs = due ?? 0;
    // Nothing happens at any hour before, nor a millisecond before; the due instant acts.
    for (let t = nowMs; t < dueMs; t += HOUR) expect(actsAt(state, ctx, t), iso(t)).toEqual([]);
    expect(actsAt(state, ctx, dueMs - 1)).toEqual([]);
    expect(actsAt(state, ctx, dueMs)).toEqual(row.acts);
    // The same holds through the memo nextDue left on the state.
    expect(evaluateScheduled(state, ctx, dueMs - 1).state).toBe(state);
    const fired = evaluateScheduled(state, ctx, dueMs);
    expect(fired.state).not.toBe(state);
  });

  it('fires the birthday at 10:00 on the local birthday in Asia/Vladivostok', () => {
    const state = customer({ timeZone: 'Asia/Vladivostok', birthday: '1990-03-17' }, DEFAULT_PACK);
    const due = nextDue(state, { pack: DEFAULT_PACK, model: null }, at('2026-03-10T00:00:00Z')) ?? 0;
    expect(wall(due, 'Asia/Vladivostok')).toEqual({ date: '2026-03-17', hour: 10, minute: 0 });
  });
});

// ---------------------------------------------------------------------------------------------
// Known gap (reported): eligibility that changes with time alone

describe('a scheduled campaign with a time-dependent segment', () => {
  // A win-back for at-risk customers: the dormancy window opens after 30 days, but the customer only
  // becomes "at-risk" (RFM recency > 90 days) later, with no event in between. Time-dependent segments
  // keep an open window in the schedule with a daily re-check, so the customer comes back.
  it('fires once the customer enters the segment by time alone', () => {
    const atRiskPack = pack({
      campaigns: [
        {
          id: 'win-back-at-risk',
          trigger: { type: 'dormancy', days: 30, minOrders: 1 },
          segment: { rfm: ['at-risk'] },
          reward: { points: 300 },
          channels: ['email'],
        },
      ],
    });
    const ctx: EngineContext = { pack: atRiskPack, model: null };
    const state = customer(
      {
        timeZone: 'Europe/Moscow',
        orders: ['2026-01-01', '2026-01-05', '2026-01-10'].map((day, i) => ({
          id: `o${i}`,
          at: `${day}T10:00:00Z`,
          total: 10,
        })),
      },
      atRiskPack,
    );
    const opens = nextDue(state, ctx, at('2026-01-11T00:00:00Z')) ?? 0;
    const first = evaluateScheduled(state, ctx, opens);
    expect(first.decisions).toEqual([]);
    // 2026-04-15: 95 days after the last order, the customer is at-risk and the episode is still open.
    const atRisk = at('2026-04-15T00:00:00Z');
    expect(freshEvaluationActs(first.state, ctx, atRisk)).toBe(true);
    // The index should bring the customer back by then; it says next January (the points expiry).
    expect(nextDue(first.state, ctx, opens) ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(atRisk);
  });
});

describe('a scheduled campaign that would give a customer nothing', () => {
  // The win-back offer reaches the customer only through its message; the birthday credits points.
  const p = pack({
    campaigns: [
      {
        id: 'win-back',
        trigger: { type: 'dormancy', days: 30, minOrders: 1 },
        reward: { points: 300 },
        channels: ['email'],
      },
      {
        id: 'birthday',
        trigger: { type: 'birthday', daysBefore: 0, daysAfter: 3 },
        reward: { points: 500 },
        channels: ['email'],
        sendHour: 10,
      },
    ],
  });
  const ctx: EngineContext = { pack: p, model: null };
  const orders = [{ id: 'o-1', at: '2026-01-05T12:00:00Z', total: 40 }];
  const now = at('2026-01-10T00:00:00Z');
  // 30 days after the last order's day, at the default send hour (10:00 in Berlin).
  const dormantDue = at('2026-02-05T09:00:00Z');

  const rows: { name: string; who: CustomerInput; winBack: boolean }[] = [
    { name: 'consent and an address: listed', who: { orders }, winBack: true },
    { name: 'no consent on its channel', who: { orders, consents: ['sms', 'push'] }, winBack: false },
    { name: 'no address on its channel', who: { orders, email: null }, winBack: false },
    { name: 'opted out of everything', who: { orders, optOut: true }, winBack: false },
  ];
  for (const row of rows) {
    it(`${row.name}: the message-only campaign ${row.winBack ? 'is' : 'is not'} due`, () => {
      const state = customer({ birthday: '1990-06-01', timeZone: 'Europe/Berlin', ...row.who }, p);
      const due = nextDue(state, ctx, now);
      const birthday = at('2026-06-01T08:00:00Z');
      expect(due).toBe(row.winBack ? dormantDue : birthday);
      // At the win-back's instant the evaluation decides nothing for the unreachable customer: no
      // suppression record, no write.
      const out = evaluateScheduled(structuredClone(state), ctx, dormantDue + MINUTE);
      expect(out.decisions.map((d) => `${d.type}:${d.key}`)).toEqual(
        row.winBack ? [expect.stringMatching(/^Issued:win-back#/)] : [],
      );
    });
  }

  it('a customer who opts in later is due for it from that event on', () => {
    const state = customer(
      { orders, consents: ['sms'], birthday: '1990-06-01', timeZone: 'Europe/Berlin' },
      p,
    );
    expect(nextDue(state, ctx, now)).not.toBe(dormantDue);
    const consented = processEvent(
      state,
      event('ConsentChanged', '2026-01-20T09:00:00Z', { customerId: 'c-1', channel: 'email', granted: true }),
      ctx,
      at('2026-01-20T09:00:00Z'),
    ).state;
    expect(nextDue(consented, ctx, at('2026-01-20T09:00:00Z'))).toBe(dormantDue);
  });

  it('a birthday bonus in points is still issued to a customer without any consent', () => {
    const state = customer({ consents: [], birthday: '1990-06-01', timeZone: 'Europe/Berlin' }, p);
    const birthday = at('2026-06-01T08:00:00Z');
    expect(nextDue(state, ctx, now)).toBe(birthday);
    const out = evaluateScheduled(state, ctx, birthday);
    expect(out.decisions).toHaveLength(1);
    expect(out.ledger.map((e) => e.points)).toEqual([500]);
  });
});
