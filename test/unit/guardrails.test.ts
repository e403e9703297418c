import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Guardrails } from '../../functions/domain/campaign.ts';
import type { Channel } from '../../functions/domain/customer-state.ts';
import type { SlotRequest } from '../../functions/domain/guardrails.ts';
import {
  capSlot,
  chooseChannels,
  findSlot,
  holdoutBucket,
  inCampaignHoldout,
  inGlobalHoldout,
  isFree,
  matchesSegment,
} from '../../functions/domain/guardrails.ts';
import type { CustomerInput } from './engine-fixtures.ts';
import { campaign, customer, DAY, HOUR, pack, quietAt, transitions, wall } from './engine-fixtures.ts';

const guardrails = (patch: Record<string, unknown> = {}): Guardrails =>
  pack({ campaigns: [], guardrails: patch }).guardrails;
const program = pack({ campaigns: [] }).program;
const T0 = Date.parse('2026-03-02T07:00:00Z'); // 10:00 in Moscow
const WEEK = 7 * DAY;

describe('holdout', () => {
  it('is deterministic per (brand, customer, salt)', () => {
    expect(holdoutBucket('b', 'c-1', 'global')).toBe(holdoutBucket('b', 'c-1', 'global'));
    expect(holdoutBucket('b', 'c-1', 'global')).not.toBe(holdoutBucket('b', 'c-1', 'win-back'));
  });

  it('holds out about the configured share, independently per campaign', () => {
    // Prepare
    const ids = Array.from({ length: 20_000 }, (_, i) => `customer-${i}`);
    // Act
    const global = ids.filter((id) => holdoutBucket('default', id, 'global') < 10).length / ids.length;
    const both = ids.filter(
      (id) => holdoutBucket('default', id, 'global') < 10 && holdoutBucket('default', id, 'x') < 10,
    );
    // Assess
    expect(global).toBeGreaterThan(0.09);
    expect(global).toBeLessThan(0.11);
    expect(both.length / ids.length).toBeGreaterThan(0.006);
    expect(both.length / ids.length).toBeLessThan(0.014);
  });

  it.each([
    [0, false],
    [50, null],
  ])('global holdout of %i%% holds out %s', (percent, expected) => {
    const state = customer({ id: 'c-42' });
    const result = inGlobalHoldout(state, guardrails({ globalHoldoutPercent: percent }));
    expect(result).toBe(expected ?? holdoutBucket('default', 'c-42', 'global') < percent);
  });

  it('a campaign with holdoutPercent 0 holds out nobody', () => {
    const c = campaign({ id: 'x', trigger: { type: 'milestone', metric: 'orders', threshold: 1 } });
    for (let i = 0; i < 200; i++) expect(inCampaignHoldout(customer({ id: `c-${i}` }), c)).toBe(false);
  });
});

describe('matchesSegment', () => {
  const orders = [
    { id: 'o1', at: '2026-01-10T10:00:00Z', total: 1000 },
    { id: 'o2', at: '2026-02-10T10:00:00Z', total: 2000 },
  ];
  it.each<[string, Record<string, unknown>, CustomerInput, boolean]>([
    ['an empty segment', {}, {}, true],
    ['a country in the list', { countries: ['RU', 'KZ'] }, { country: 'RU' }, true],
    ['a country not in the list', { countries: ['RU'] }, { country: 'DE' }, false],
    ['no country on file', { countries: ['RU'] }, {}, false],
    ['a city, case-insensitively', { cities: ['Moscow'] }, { city: 'moscow' }, true],
    ['another city', { cities: ['Moscow'] }, { city: 'Kazan' }, false],
    ['the default tier', { tiers: ['Silver'] }, {}, true],
    ['a tier not held', { tiers: ['Gold'] }, {}, false],
    ['minOrders reached', { minOrders: 2 }, { orders }, true],
    ['minOrders not reached', { minOrders: 3 }, { orders }, false],
    ['maxOrders exceeded', { maxOrders: 1 }, { orders }, false],
    ['minSpend reached', { minSpend: 3000 }, { orders }, true],
    ['maxSpend exceeded', { maxSpend: 2999 }, { orders }, false],
    ['consent given', { consent: 'sms' }, { consents: ['sms'] }, true],
    ['consent missing', { consent: 'sms' }, { consents: ['email'] }, false],
    ['consent withdrawn by the global opt-out', { consent: 'email' }, { optOut: true }, false],
    ['the brand listed', { brands: ['default'] }, {}, true],
    ['another brand', { brands: ['other'] }, {}, false],
    ['an RFM class held', { rfm: ['potential'] }, { orders }, true],
    ['no RFM class before the first order', { rfm: ['new'] }, {}, false],
  ])('%s', (_, segment, input, expected) => {
    const c = campaign({ id: 'x', trigger: { type: 'milestone', metric: 'orders', threshold: 1 }, segment });
    expect(matchesSegment(customer(input), c.segment, program, Date.parse('2026-02-20T00:00:00Z'))).toBe(
      expected,
    );
  });
});

describe('chooseChannels', () => {
  it.each<[string, Channel[], 'first' | 'all', CustomerInput, Channel[] | string]>([
    ['the first channel with consent and address', ['push', 'email'], 'first', {}, ['push']],
    [
      'falls back to email without push consent',
      ['push', 'email'],
      'first',
      { consents: ['email', 'sms'] },
      ['email'],
    ],
    ['falls back to email without a push token', ['push', 'email'], 'first', { pushToken: null }, ['email']],
    [
      'every allowed channel with delivery: all',
      ['push', 'email', 'sms'],
      'all',
      { consents: ['email', 'sms'] },
      ['email', 'sms'],
    ],
    ['no consent anywhere', ['push', 'email'], 'first', { consents: [] }, 'no-consent'],
    ['no address anywhere', ['email'], 'first', { email: null }, 'no-address'],
    [
      'the first blocker: consent before address',
      ['push', 'email'],
      'first',
      { consents: ['email'], email: null },
      'no-consent',
    ],
    ['global opt-out', ['push', 'email'], 'all', { optOut: true }, 'opted-out'],
  ])('%s', (_, channels, delivery, input, expected) => {
    const c = campaign({
      id: 'x',
      trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
      channels,
      delivery,
    });
    const choice = chooseChannels(customer(input), c);
    expect(choice.type === 'Channels' ? choice.channels : choice.reason).toEqual(expected);
  });
});

/** Independent check: adding `t` keeps every window of `windowMs` at most `count` sends. */
function fits(sends: readonly number[], t: number, count: number, windowMs: number): boolean {
  const all = [...sends, t].sort((a, b) => a - b);
  for (let i = 0; i + count < all.length; i++) {
    const first = all[i] ?? 0;
    const last = all[i + count] ?? 0;
    if (last - first < windowMs) return false;
  }
  return true;
}

describe('capSlot', () => {
  it.each<[string, number[], number, number, number]>([
    ['free when nothing was sent', [], 0, 2, 0],
    ['free with one send in the window', [-DAY], 0, 2, 0],
    ['deferred until the oldest send leaves the window', [-2 * DAY, -DAY], 0, 2, 5 * DAY],
    ['exactly at the window edge', [-WEEK, -DAY], 0, 2, 0],
    [
      'a later send holds its slot too (deferred sends are in the future)',
      [3 * DAY, 4 * DAY],
      0,
      2,
      10 * DAY,
    ],
    ['a send before and one after', [-DAY, 2 * DAY], 0, 2, 6 * DAY],
    ['count 1', [-DAY], 0, 1, 6 * DAY],
    ['count 3 with two sends', [-DAY, DAY], 0, 3, 0],
  ])('%s', (_, sends, desired, count, expected) => {
    expect(capSlot(sends, desired, count, WEEK)).toBe(expected);
  });

  it('returns the earliest instant that fits (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -20, max: 20 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: -5, max: 5 }),
        (days, count, desiredDay) => {
          // Prepare: sends on a grid of days, as a valid history (no window over the cap).
          const sends: number[] = [];
          for (const d of days) if (fits(sends, d * DAY, count, WEEK)) sends.push(d * DAY);
          // Act
          const slot = capSlot(sends, desiredDay * DAY, count, WEEK);
          // Assess: it fits, is not before the desired time, and no earlier grid instant fits.
          expect(slot).toBeGreaterThanOrEqual(desiredDay * DAY);
          expect(fits(sends, slot, count, WEEK)).toBe(true);
          expect(isFree(sends, slot, count, WEEK)).toBe(true);
          for (let t = desiredDay * DAY; t < slot; t += HOUR) expect(fits(sends, t, count, WEEK)).toBe(false);
        },
      ),
      { numRuns: 300, seed: 20260301 },
    );
  });
});

describe('findSlot', () => {
  const base: SlotRequest = {
    desiredMs: T0,
    expiresMs: T0 + 72 * HOUR,
    zone: 'Europe/Moscow',
    channels: ['push'],
    capped: true,
    sends: [],
  };
  const at = (iso: string) => Date.parse(iso);

  it.each<[string, Partial<SlotRequest>, Record<string, unknown>, string | number]>([
    ['sends at once in the daytime', {}, {}, T0],
    [
      'moves a 22:00 push to 09:00 local',
      { desiredMs: at('2026-03-02T19:00:00Z') },
      {},
      at('2026-03-03T06:00:00Z'),
    ],
    [
      'email is exempt from quiet hours',
      { desiredMs: at('2026-03-02T19:00:00Z'), channels: ['email'] },
      {},
      at('2026-03-02T19:00:00Z'),
    ],
    [
      'delivery to push and email waits for push',
      { desiredMs: at('2026-03-02T19:00:00Z'), channels: ['email', 'push'] },
      {},
      at('2026-03-03T06:00:00Z'),
    ],
    [
      'custom quiet hours',
      { desiredMs: at('2026-03-02T17:00:00Z') },
      { quietHours: { start: 20, end: 8 } },
      at('2026-03-03T05:00:00Z'),
    ],
    [
      'quiet hours within a day (13–15)',
      { desiredMs: at('2026-03-02T10:30:00Z') },
      { quietHours: { start: 13, end: 15 } },
      at('2026-03-02T12:00:00Z'),
    ],
    [
      'deferred by the cap to a free slot',
      { sends: [T0 - 2 * DAY, T0 - DAY], expiresMs: T0 + 6 * DAY },
      {},
      T0 + 5 * DAY,
    ],
    [
      'deferred by the cap, then out of the quiet hours it lands in',
      { sends: [at('2026-02-25T19:30:00Z'), T0 - DAY], expiresMs: T0 + 10 * DAY },
      {},
      at('2026-03-05T06:00:00Z'),
    ],
    [
      'cap-expired when no slot within validity',
      { sends: [T0 - DAY, T0 - 2 * DAY], expiresMs: T0 + 4 * DAY },
      {},
      'cap-expired',
    ],
    [
      'quiet-hours-expired when validity ends inside quiet hours',
      { desiredMs: at('2026-03-02T19:00:00Z'), expiresMs: at('2026-03-02T23:00:00Z') },
      {},
      'quiet-hours-expired',
    ],
    ['an uncapped campaign ignores the cap', { sends: [T0 - DAY, T0 - 2 * DAY], capped: false }, {}, T0],
  ])('%s', (_, patch, rails, expected) => {
    const slot = findSlot({ ...base, ...patch }, guardrails(rails));
    expect(slot.type === 'Slot' ? slot.sendAtMs : slot.reason).toBe(expected);
  });

  it('marks a slot moved by the cap as deferred, and one moved by quiet hours only as not', () => {
    const capped = { ...base, sends: [T0 - DAY, T0 - 2 * DAY], expiresMs: T0 + 6 * DAY };
    expect(findSlot(capped, guardrails())).toMatchObject({ type: 'Slot', deferred: true });
    expect(findSlot({ ...base, desiredMs: at('2026-03-02T19:00:00Z') }, guardrails())).toMatchObject({
      deferred: false,
    });
  });

  it('moves to the next allowed local time across a spring-forward night (New York)', () => {
    // 2026-03-08: 02:00 → 03:00 EDT. A push wanted at 22:00 EST on the 7th goes out at 09:00 EDT.
    const slot = findSlot(
      {
        ...base,
        zone: 'America/New_York',
        desiredMs: at('2026-03-08T03:00:00Z'),
        expiresMs: at('2026-03-10T00:00:00Z'),
      },
      guardrails(),
    );
    expect(slot).toEqual({ type: 'Slot', sendAtMs: at('2026-03-08T13:00:00Z'), deferred: false });
  });
});

// ---------------------------------------------------------------------------------------------
// Property (b): quiet hours are never violated, across DST changes

const DST_ZONES = [
  'America/New_York',
  'America/St_Johns',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Europe/Berlin',
  'Europe/London',
  'Europe/Dublin',
  'America/Santiago',
  'Africa/Casablanca',
  'Asia/Kathmandu',
  'Europe/Moscow',
  'Pacific/Kiritimati',
] as const;

const FROM = Date.parse('2024-01-01T00:00:00Z');
const UNTIL = Date.parse('2027-01-01T00:00:00Z');
const TRANSITIONS = new Map<string, number[]>(DST_ZONES.map((z) => [z, transitions(z, FROM, UNTIL)]));

/** A zone and an instant: half of them within 36 hours of one of the zone's DST transitions. */
const zoneAndInstant = fc
  .tuple(
    fc.constantFrom(...DST_ZONES),
    fc.boolean(),
    fc.nat(),
    fc.integer({ min: -36 * 60, max: 36 * 60 }),
    fc.integer({ min: FROM, max: UNTIL - 30 * DAY }),
  )
  .map(([zone, nearTransition, pick, minutes, anywhere]) => {
    const list = TRANSITIONS.get(zone) ?? [];
    const t = list[pick % Math.max(1, list.length)];
    const instant = nearTransition && t !== undefined ? t + minutes * 60_000 : anywhere;
    return { zone, instant };
  });

const quietHours = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 23 }))
  .filter(([start, end]) => start !== end)
  .map(([start, end]) => ({ start, end }));

describe('quiet hours (property)', () => {
  it('every DST zone in the list has transitions to test, except the fixed-offset ones', () => {
    expect(TRANSITIONS.get('America/New_York')?.length).toBe(6);
    expect(TRANSITIONS.get('Australia/Lord_Howe')?.length).toBe(6);
    expect(TRANSITIONS.get('Europe/Moscow')?.length).toBe(0);
  });

  it('never picks a quiet local time for sms/push, and picks the earliest allowed one', () => {
    fc.assert(
      fc.property(
        zoneAndInstant,
        quietHours,
        fc.constantFrom<Channel>('sms', 'push'),
        ({ zone, instant }, quiet, channel) => {
          // Prepare
          const rails = guardrails({ quietHours: { ...quiet, channels: ['sms', 'push'] } });
          // Act
          const slot = findSlot(
            {
              desiredMs: instant,
              expiresMs: instant + 72 * HOUR,
              zone,
              channels: [channel],
              capped: false,
              sends: [],
            },
            rails,
          );
          // Assess
          expect(slot.type).toBe('Slot');
          if (slot.type !== 'Slot') return;
          expect(quietAt(slot.sendAtMs, zone, quiet.start, quiet.end)).toBe(false);
          expect(slot.sendAtMs).toBeGreaterThanOrEqual(instant);
          // Nothing earlier would do: every minute before it (sampled each 5 minutes) is quiet.
          for (let t = slot.sendAtMs - 60_000; t >= instant; t -= 5 * 60_000) {
            expect(
              quietAt(t, zone, quiet.start, quiet.end),
              `${wall(t, zone).date} ${wall(t, zone).hour}h`,
            ).toBe(true);
          }
        },
      ),
      { numRuns: 400, seed: 424242 },
    );
  });

  it('never violates quiet hours when the cap defers the message too', () => {
    fc.assert(
      fc.property(
        zoneAndInstant,
        fc.array(fc.integer({ min: -7 * 24, max: 7 * 24 }), { maxLength: 4 }),
        ({ zone, instant }, sendHours) => {
          const sends = sendHours.map((h) => instant + h * HOUR);
          const slot = findSlot(
            {
              desiredMs: instant,
              expiresMs: instant + 30 * DAY,
              zone,
              channels: ['push'],
              capped: true,
              sends,
            },
            guardrails(),
          );
          if (slot.type !== 'Slot') return;
          expect(quietAt(slot.sendAtMs, zone, 21, 9)).toBe(false);
        },
      ),
      { numRuns: 300, seed: 99 },
    );
  });
});
