import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Campaign, CampaignFile } from '../../functions/domain/campaign.ts';
import { parseCampaignPack } from '../../functions/domain/campaign-pack.ts';
import type { Candidate } from '../../functions/domain/candidate.ts';
import type { Channel, CustomerState, LedgerEntry } from '../../functions/domain/customer-state.ts';
import { emptyState } from '../../functions/domain/customer-state.ts';
import type { Decision, EngineContext, Outcome } from '../../functions/domain/engine.ts';
import { decide, evaluateScheduled, issue, nextDue, processEvent } from '../../functions/domain/engine.ts';
import type { DomainEvent } from '../../functions/domain/events.ts';
import { holdoutBucket } from '../../functions/domain/guardrails.ts';
import type { Message } from '../../functions/domain/message.ts';
import { birthdayIn } from '../../functions/domain/scheduled-triggers.ts';
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
  transitions,
  wall,
} from './engine-fixtures.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const at = (s: string) => Date.parse(s);

/** A customer id whose holdout bucket for `salt` is below (inside) or at/above (outside) `percent`. */
function idFor(salt: string, percent: number, inside: boolean): string {
  for (let i = 0; ; i++) {
    const id = `c-${salt}-${i}`;
    if (holdoutBucket('default', id, salt) < percent === inside) return id;
  }
}

// ---------------------------------------------------------------------------------------------
// Guardrails, through the engine

describe('guardrails in the engine', () => {
  const firstOrder = (patch: Partial<CampaignInput> = {}): CampaignInput => ({
    id: 'first',
    trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
    reward: { points: 100 },
    channels: ['push', 'email'],
    ...patch,
  });
  const DAYTIME = '2026-03-02T10:00:00Z'; // 13:00 in Moscow
  const NIGHT = '2026-03-02T19:30:00Z'; // 22:30 in Moscow

  interface Row {
    name: string;
    campaign?: Partial<CampaignInput>;
    guardrails?: Record<string, unknown>;
    who?: CustomerInput;
    orderAt?: string;
    expect: {
      decision: string;
      channels?: Channel[];
      sendAt?: string | null;
      bonus: number;
      messages: string[];
    };
  }

  const rows: Row[] = [
    {
      name: 'issues on the first allowed channel at once in the daytime',
      expect: { decision: 'Issued', channels: ['push'], sendAt: DAYTIME, bonus: 100, messages: ['push'] },
    },
    {
      name: 'holds out the global control group: no reward, no message, recorded',
      guardrails: { globalHoldoutPercent: 50 },
      who: { id: idFor('global', 50, true) },
      expect: { decision: 'Suppressed:holdout-global', bonus: 0, messages: [] },
    },
    {
      name: 'lets the rest of the customers through the global holdout',
      guardrails: { globalHoldoutPercent: 50 },
      who: { id: idFor('global', 50, false) },
      expect: { decision: 'Issued', bonus: 100, messages: ['push'] },
    },
    {
      name: 'holds out the campaign control group',
      campaign: { holdoutPercent: 50 },
      who: { id: idFor('first', 50, true) },
      expect: { decision: 'Suppressed:holdout', bonus: 0, messages: [] },
    },
    {
      name: 'falls back to email without push consent',
      who: { consents: ['email'] },
      expect: { decision: 'Issued', channels: ['email'], bonus: 100, messages: ['email'] },
    },
    {
      name: 'sends on every allowed channel with delivery: all',
      campaign: { delivery: 'all' },
      expect: { decision: 'Issued', channels: ['push', 'email'], bonus: 100, messages: ['push', 'email'] },
    },
    {
      name: 'still credits a bonus-only reward without consent, with no message',
      who: { consents: [] },
      expect: { decision: 'Issued:no-consent', channels: [], sendAt: null, bonus: 100, messages: [] },
    },
    {
      name: 'still credits a bonus-only reward after a global opt-out',
      who: { optOut: true },
      expect: { decision: 'Issued:opted-out', bonus: 100, messages: [] },
    },
    {
      name: 'needs an address for the channel',
      who: { email: null, pushToken: null },
      expect: { decision: 'Issued:no-address', bonus: 100, messages: [] },
    },
    {
      name: 'suppresses an offer nobody can be told about, entirely',
      campaign: { reward: { points: 100, offer: { codePrefix: 'HELLO', validityDays: 7 } } },
      who: { consents: [] },
      expect: { decision: 'Suppressed:no-consent', bonus: 0, messages: [] },
    },
    {
      name: 'moves a push out of quiet hours to 09:00 local',
      orderAt: NIGHT,
      expect: {
        decision: 'Issued',
        channels: ['push'],
        sendAt: '2026-03-03T06:00:00Z',
        bonus: 100,
        messages: ['push'],
      },
    },
    {
      name: 'lets email go out in quiet hours',
      orderAt: NIGHT,
      campaign: { channels: ['email'] },
      expect: { decision: 'Issued', channels: ['email'], sendAt: NIGHT, bonus: 100, messages: ['email'] },
    },
    {
      name: 'reads quiet hours in the customer’s zone',
      orderAt: NIGHT, // 14:30 in New York
      who: { timeZone: 'America/New_York' },
      expect: { decision: 'Issued', channels: ['push'], sendAt: NIGHT, bonus: 100, messages: ['push'] },
    },
    {
      name: 'drops a message whose validity ends inside quiet hours, keeping the bonus',
      orderAt: NIGHT,
      campaign: { messageValidityHours: 2 },
      expect: { decision: 'Issued:quiet-hours-expired', bonus: 100, messages: [] },
    },
    {
      name: 'ignores a campaign outside its validity dates',
      campaign: { validFrom: '2026-04-01T00:00:00Z' },
      expect: { decision: 'none', bonus: 0, messages: [] },
    },
    {
      name: 'ignores a customer outside the segment',
      campaign: { segment: { countries: ['KZ'] } },
      who: { country: 'RU' },
      expect: { decision: 'none', bonus: 0, messages: [] },
    },
  ];

  it.each(rows)('$name', (row) => {
    // Prepare
    const p = pack({ campaigns: [firstOrder(row.campaign)], guardrails: row.guardrails });
    const who = customer({ timeZone: 'Europe/Moscow', ...row.who }, p);
    const placed = row.orderAt ?? DAYTIME;
    // Act
    const out = processEvent(
      who,
      orderEvent({ id: 'o1', at: placed, total: 10, customerId: who.customerId }),
      ctxOf(p),
      at(placed),
    );
    // Assess
    const d = out.decisions[0];
    const summary =
      d === undefined
        ? 'none'
        : d.type === 'Issued'
          ? `Issued${d.messageSuppressed ? `:${d.messageSuppressed}` : ''}`
          : d.type === 'Suppressed'
            ? `Suppressed:${d.reason}`
            : d.type;
    expect(summary).toBe(row.expect.decision);
    if (d?.type === 'Issued' && row.expect.channels) expect(d.channels).toEqual(row.expect.channels);
    if (d?.type === 'Issued' && row.expect.sendAt !== undefined) {
      expect(d.sendAtMs === null ? null : iso(d.sendAtMs)).toBe(
        row.expect.sendAt === null ? null : iso(at(row.expect.sendAt)),
      );
    }
    expect(out.ledger.filter((e) => e.reason === 'bonus').reduce((s, e) => s + e.points, 0)).toBe(
      row.expect.bonus,
    );
    expect(out.messages.map((m) => m.channel)).toEqual(row.expect.messages);
    if (d !== undefined) expect(out.state.occurrences[d.key]).toBeDefined();
  });

  it('applies a consent change from the next event on', () => {
    const p = pack({ campaigns: [firstOrder()] });
    const ctx = ctxOf(p);
    const who = customer({ timeZone: 'Europe/Moscow' }, p);
    const withdrawn = processEvent(
      who,
      event('ConsentChanged', DAYTIME, { customerId: 'c-1', channel: 'push', granted: false }),
      ctx,
      at(DAYTIME),
    );
    const out = processEvent(
      withdrawn.state,
      orderEvent({ id: 'o1', at: DAYTIME, total: 10 }),
      ctx,
      at(DAYTIME),
    );
    expect(out.messages.map((m) => m.channel)).toEqual(['email']);
  });

  it('enforces the cooldown between two occurrences of a campaign', () => {
    const p = pack({
      campaigns: [
        {
          id: 'review',
          trigger: { type: 'action', action: 'review', maxPerPeriod: 10 },
          reward: { points: 5 },
          cooldownDays: 7,
        },
      ],
    });
    const ctx = ctxOf(p);
    let state = customer({}, p);
    const results: string[] = [];
    for (const [ref, when] of [
      ['a', '2026-03-01T10:00:00Z'],
      ['b', '2026-03-05T10:00:00Z'],
      ['c', '2026-03-09T10:00:01Z'],
    ] as const) {
      const out = processEvent(
        state,
        event('ActionCompleted', when, { customerId: 'c-1', action: 'review', reference: ref }),
        ctx,
        at(when),
      );
      results.push(...out.decisions.map((d) => (d.type === 'Suppressed' ? `${d.key}:${d.reason}` : d.key)));
      state = out.state;
    }
    expect(results).toEqual(['review#review:a', 'review#review:b:cooldown', 'review#review:c']);
  });

  describe('frequency cap and priority', () => {
    // One order fires three milestones at once; the cap lets two through.
    const three = (validityHours: number, points = 10): CampaignFile =>
      pack({
        campaigns: [
          {
            id: 'low',
            trigger: { type: 'milestone', metric: 'points', threshold: 1 },
            reward: { points },
            channels: ['email'],
            priority: 10,
            messageValidityHours: validityHours,
          },
          {
            id: 'high',
            trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
            reward: { points },
            channels: ['email'],
            priority: 90,
            messageValidityHours: validityHours,
          },
          {
            id: 'mid',
            trigger: { type: 'milestone', metric: 'spend', threshold: 1 },
            reward: { points },
            channels: ['email'],
            priority: 50,
            messageValidityHours: validityHours,
          },
        ],
      });
    const fire = (p: CampaignFile) =>
      processEvent(
        customer({ timeZone: 'Europe/Moscow' }, p),
        orderEvent({ id: 'o1', at: '2026-03-02T10:00:00Z', total: 10 }),
        ctxOf(p),
        at('2026-03-02T10:00:00Z'),
      );

    it('gives the slots to the highest priorities and defers the rest to the next free slot', () => {
      const out = fire(three(24 * 8));
      const byKey = Object.fromEntries(
        out.decisions.map((d) => [
          d.key,
          d.type === 'Issued'
            ? { at: d.sendAtMs === null ? null : iso(d.sendAtMs), deferred: d.deferred }
            : d.type,
        ]),
      );
      expect(byKey).toEqual({
        'high#once': { at: '2026-03-02T10:00:00.000Z', deferred: false },
        'mid#once': { at: '2026-03-02T10:00:00.000Z', deferred: false },
        'low#once': { at: '2026-03-09T10:00:00.000Z', deferred: true },
      });
      expect(out.messages.map((m) => [m.campaignId, m.sendAt])).toContainEqual([
        'low',
        '2026-03-09T10:00:00.000Z',
      ]);
      expect(out.state.occurrences['low#once']).toMatchObject({
        deferred: true,
        sendAt: '2026-03-09T10:00:00.000Z',
      });
    });

    it('records a message that can’t be deferred within its validity as cap-expired (a bonus still counts)', () => {
      const out = fire(three(72));
      const low = out.decisions.find((d) => d.key === 'low#once');
      expect(low).toMatchObject({ type: 'Issued', messageSuppressed: 'cap-expired', sendAtMs: null });
      expect(out.messages.map((m) => m.campaignId)).toEqual(['high', 'mid']);
      expect(out.state.occurrences['low#once']).toMatchObject({
        status: 'issued',
        reason: 'cap-expired',
        capped: false,
      });
    });

    it('suppresses a no-reward message over the cap as cap-expired', () => {
      const p = pack({
        campaigns: [
          {
            id: 'a',
            trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
            channels: ['email'],
            priority: 90,
          },
          {
            id: 'b',
            trigger: { type: 'milestone', metric: 'spend', threshold: 1 },
            channels: ['email'],
            priority: 80,
          },
          {
            id: 'c',
            trigger: { type: 'milestone', metric: 'points', threshold: 1 },
            channels: ['email'],
            priority: 70,
          },
        ],
      });
      const out = fire(p);
      expect(out.decisions.map((d) => (d.type === 'Suppressed' ? `${d.key}:${d.reason}` : d.key))).toEqual([
        'a#once',
        'b#once',
        'c#once:cap-expired',
      ]);
    });

    it('counts earlier sends, and uncapped campaigns neither count nor wait', () => {
      const p = pack({
        campaigns: [
          {
            id: 'a',
            trigger: { type: 'action', action: 'a', maxPerPeriod: 9 },
            channels: ['email'],
            priority: 90,
            messageValidityHours: 500,
          },
          {
            id: 'thanks',
            trigger: { type: 'action', action: 't', maxPerPeriod: 9 },
            channels: ['email'],
            priority: 80,
            capped: false,
          },
        ],
      });
      const ctx = ctxOf(p);
      let state = customer({}, p);
      const sends: string[] = [];
      const steps: [string, string, string][] = [
        ['a', 'r1', '2026-03-01T10:00:00Z'],
        ['t', 'r1', '2026-03-01T11:00:00Z'],
        ['a', 'r2', '2026-03-02T10:00:00Z'],
        ['t', 'r2', '2026-03-02T11:00:00Z'],
        ['a', 'r3', '2026-03-03T10:00:00Z'],
        ['t', 'r3', '2026-03-03T11:00:00Z'],
      ];
      for (const [name, ref, when] of steps) {
        const out = processEvent(
          state,
          event('ActionCompleted', when, { customerId: 'c-1', action: name, reference: ref }),
          ctx,
          at(when),
        );
        sends.push(...out.messages.map((m) => `${m.campaignId}@${m.sendAt}`));
        state = out.state;
      }
      expect(sends).toEqual([
        'a@2026-03-01T10:00:00.000Z',
        'thanks@2026-03-01T11:00:00.000Z',
        'a@2026-03-02T10:00:00.000Z',
        'thanks@2026-03-02T11:00:00.000Z',
        'a@2026-03-08T10:00:00.000Z',
        'thanks@2026-03-03T11:00:00.000Z',
      ]);
    });

    it('respects later sends already queued: a message never squeezes in before them', () => {
      // Two delayed cross-sells hold Mar 3; an action now would make three in [Mar 1 12:00, Mar 8 12:00).
      const p = pack({
        campaigns: [
          {
            id: 'thanks',
            trigger: { type: 'action', action: 'a', maxPerPeriod: 9 },
            channels: ['email'],
            priority: 90,
            messageValidityHours: 24 * 10,
          },
          {
            id: 'pair',
            trigger: {
              type: 'cross-sell',
              delayHours: 48,
              rules: [{ whenCategory: 'trousers', offerCategory: 'sweatshirts' }],
            },
            channels: ['email'],
            priority: 50,
          },
        ],
      });
      const ctx = ctxOf(p);
      let state = customer({}, p);
      const sends: string[] = [];
      const events = [
        orderEvent({
          id: 'o1',
          at: '2026-03-01T10:00:00Z',
          total: 10,
          lines: [{ sku: 'T', category: 'trousers' }],
        }),
        orderEvent({
          id: 'o2',
          at: '2026-03-01T11:00:00Z',
          total: 10,
          lines: [{ sku: 'T', category: 'trousers' }],
        }),
        event('ActionCompleted', '2026-03-01T12:00:00Z', { customerId: 'c-1', action: 'a', reference: 'r' }),
      ];
      for (const e of events) {
        const out = processEvent(state, e, ctx, at(e.at));
        sends.push(...out.messages.map((m) => `${m.campaignId}@${m.sendAt}`));
        state = out.state;
      }
      expect(sends).toEqual([
        'pair@2026-03-03T10:00:00.000Z',
        'pair@2026-03-03T11:00:00.000Z',
        'thanks@2026-03-10T10:00:00.000Z',
      ]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Exactly once and keys

describe('exactly once', () => {
  const p = pack({
    campaigns: [
      {
        id: 'first',
        trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
        reward: { points: 100 },
        channels: ['push', 'email'],
        delivery: 'all',
      },
      {
        id: 'bday',
        trigger: { type: 'birthday', daysAfter: 3 },
        reward: { points: 500 },
        channels: ['email'],
        holdoutPercent: 50,
      },
    ],
  });
  const ctx = ctxOf(p);

  it('keys occurrences brand#customer#campaign#occurrence and messages occurrence#channel', () => {
    const out = processEvent(
      customer({}, p),
      orderEvent({ id: 'o1', at: '2026-03-02T10:00:00Z', total: 10 }),
      ctx,
      at('2026-03-02T10:00:00Z'),
    );
    expect(out.decisions[0]?.occurrenceKey).toBe('default#c-1#first#once');
    expect(out.messages.map((m) => m.messageId)).toEqual([
      'default#c-1#first#once#push',
      'default#c-1#first#once#email',
    ]);
    expect(out.ledger.find((e) => e.reason === 'bonus')?.entryId).toBe('default#c-1#first#once');
  });

  it('keys by brand: the same customer id in another brand is another customer', () => {
    const out = processEvent(
      customer({ brand: 'shop-2' }, p),
      event('OrderPlaced', '2026-03-02T10:00:00Z', {
        brand: 'shop-2',
        orderId: 'o1',
        customerId: 'c-1',
        currency: 'EUR',
        total: 10,
        lines: [{ sku: 'A', quantity: 1, unitPrice: 10 }],
      }),
      ctx,
      at('2026-03-02T10:00:00Z'),
    );
    expect(out.decisions[0]?.occurrenceKey).toBe('shop-2#c-1#first#once');
  });

  it('processing the same event twice decides nothing twice', () => {
    const e = orderEvent({ id: 'o1', at: '2026-03-02T10:00:00Z', total: 10 });
    const once = processEvent(customer({}, p), e, ctx, at(e.at));
    const twice = processEvent(once.state, e, ctx, at(e.at) + HOUR);
    expect(twice).toMatchObject({ decisions: [], messages: [], ledger: [] });
    expect(twice.state).toBe(once.state);
    // A second OrderPlaced for the same order under another event id is a no-op too.
    const again = processEvent(
      once.state,
      orderEvent({ id: 'o1', at: '2026-03-02T10:00:00Z', total: 10 }),
      ctx,
      at(e.at),
    );
    expect(again.decisions).toEqual([]);
  });

  it.each([
    ['an issued occurrence', idFor('bday', 50, false), 'Issued'],
    ['a suppressed occurrence (holdout)', idFor('bday', 50, true), 'Suppressed'],
  ])('evaluating twice decides %s once', (_, id, type) => {
    const who = customer({ id, birthday: '1990-03-10', timeZone: 'UTC' }, p);
    const first = evaluateScheduled(who, ctx, at('2026-03-10T10:00:00Z'));
    expect(first.decisions.map((d) => d.type)).toEqual([type]);
    expect(evaluateScheduled(first.state, ctx, at('2026-03-10T10:00:00Z')).decisions).toEqual([]);
    expect(evaluateScheduled(first.state, ctx, at('2026-03-12T10:00:00Z')).decisions).toEqual([]);
  });

  it('a candidate proposed twice in one batch is decided once', () => {
    const who = customer({}, p);
    const c = campaign({
      id: 'first',
      trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
      reward: { points: 100 },
    });
    const candidate: Candidate = {
      campaign: c,
      key: 'first#once',
      dueMs: 0,
      points: 100,
      orderId: null,
      offer: null,
      offers: [],
      variables: {},
      onceEver: true,
    };
    expect(decide(who, [candidate, { ...candidate }], ctx, at('2026-03-02T10:00:00Z'))).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
// nextDue

describe('nextDue', () => {
  const dormancy = (
    segment: Record<string, unknown> = {},
    extra: Partial<CampaignInput> = {},
  ): CampaignFile =>
    pack({
      campaigns: [
        {
          id: 'win-back',
          trigger: { type: 'dormancy', days: 30 },
          reward: { points: 300 },
          channels: ['email'],
          sendHour: 11,
          segment,
          ...extra,
        },
      ],
    });
  const orders = [{ id: 'o1', at: '2026-01-10T10:00:00Z', total: 10 }];

  /** Evaluates at each due instant until `untilMs`; fails when an evaluation makes no progress. */
  function walk(state: CustomerState, ctx: EngineContext, fromMs: number, untilMs: number) {
    const dues: number[] = [];
    const decisions: Decision[] = [];
    let now = fromMs;
    for (let i = 0; i < 500; i++) {
      const due = nextDue(state, ctx, now);
      if (due === null || due > untilMs) return { dues, decisions, state };
      now = Math.max(now, due);
      const out = evaluateScheduled(state, ctx, now);
      dues.push(now);
      decisions.push(...out.decisions);
      const after = nextDue(out.state, ctx, now);
      // Progress: the customer is not due again at the same instant unless something was decided.
      if (after !== null && after <= now && out.decisions.length === 0)
        throw new Error(`stuck at ${iso(now)}`);
      state = out.state;
    }
    throw new Error('too many evaluations');
  }

  it('is the window start, then moves on once the occurrence is decided', () => {
    const p = dormancy();
    const who = customer({ timeZone: 'Europe/Moscow', orders }, p);
    expect(iso(nextDue(who, ctxOf(p), at('2026-01-11T00:00:00Z')) ?? 0)).toBe('2026-02-10T08:00:00.000Z');
    const fired = evaluateScheduled(who, ctxOf(p), at('2026-02-10T08:00:00Z'));
    expect(fired.decisions).toHaveLength(1);
    // Nothing scheduled remains but the points bucket's expiry (365 days after the order).
    expect(iso(nextDue(fired.state, ctxOf(p), at('2026-02-10T08:00:00Z')) ?? 0)).toBe(
      '2027-01-10T00:00:00.000Z',
    );
  });

  it('is now when a window is open, eligible and undecided (a customer indexed late)', () => {
    const p = dormancy();
    const who = customer({ timeZone: 'Europe/Moscow', orders }, p);
    expect(nextDue(who, ctxOf(p), at('2026-03-01T12:34:00Z'))).toBe(at('2026-03-01T12:34:00Z'));
  });

  it('does not keep a customer outside the segment due while the dormancy window is open', () => {
    const p = dormancy({ countries: ['KZ'] });
    const ctx = ctxOf(p);
    const who = customer({ timeZone: 'Europe/Moscow', country: 'RU', orders }, p);
    // The window start is due (eligibility is checked then), after which the customer moves on.
    const { dues, decisions } = walk(who, ctx, at('2026-01-11T00:00:00Z'), at('2027-06-01T00:00:00Z'));
    expect(decisions).toEqual([]);
    expect(dues.map(iso)).toEqual(['2026-02-10T08:00:00.000Z', '2027-01-10T00:00:00.000Z']);
    expect(nextDue(who, ctx, at('2026-03-01T00:00:00Z'))).toBe(at('2027-01-10T00:00:00Z'));
  });

  it('re-indexes a customer who enters the segment later (a profile change) and fires then', () => {
    const p = dormancy({ countries: ['KZ'] });
    const ctx = ctxOf(p);
    const who = customer({ timeZone: 'Europe/Moscow', country: 'RU', orders }, p);
    const moved = processEvent(
      who,
      event('CustomerUpdated', '2026-03-01T00:00:00Z', { customerId: 'c-1', country: 'KZ' }),
      ctx,
      at('2026-03-01T00:00:00Z'),
    );
    expect(nextDue(moved.state, ctx, at('2026-03-01T00:00:00Z'))).toBe(at('2026-03-01T00:00:00Z'));
    expect(
      evaluateScheduled(moved.state, ctx, at('2026-03-01T00:00:00Z')).decisions.map((d) => d.key),
    ).toEqual(['win-back#2026-01-10']);
  });

  it('moves past a campaign that ended', () => {
    const p = dormancy({}, { validUntil: '2026-02-01T00:00:00Z' });
    const who = customer({ timeZone: 'Europe/Moscow', orders }, p);
    expect(nextDue(who, ctxOf(p), at('2026-01-11T00:00:00Z'))).toBe(at('2027-01-10T00:00:00Z'));
  });

  it('waits for a campaign that starts later', () => {
    const p = dormancy({}, { validFrom: '2026-04-01T00:00:00Z' });
    const who = customer({ timeZone: 'Europe/Moscow', orders }, p);
    expect(nextDue(who, ctxOf(p), at('2026-01-11T00:00:00Z'))).toBe(at('2026-04-01T00:00:00Z'));
  });

  it('is null for a customer with nothing to come', () => {
    expect(nextDue(customer({}, dormancy()), ctxOf(dormancy()), at('2026-01-11T00:00:00Z'))).toBeNull();
  });

  it('never keeps a customer due forever under the default pack (property)', () => {
    const DEFAULT = parseCampaignPack(
      readFileSync(join(import.meta.dirname, '../../campaigns/default.yaml'), 'utf8'),
      'default.yaml',
    );
    const ctx: EngineContext = { pack: DEFAULT, model: null };
    const arbitraryCustomer = fc.record({
      id: fc.string({ minLength: 1, maxLength: 6 }).map((s) => `c-${s.replace(/[^a-z0-9]/gi, 'x')}`),
      timeZone: fc.constantFrom(
        'Europe/Moscow',
        'Asia/Kathmandu',
        'America/St_Johns',
        'Pacific/Kiritimati',
        'Australia/Lord_Howe',
      ),
      birthday: fc.option(
        fc
          .date({ min: new Date('1950-01-01'), max: new Date('2005-12-31'), noInvalidDate: true })
          .map((d) => d.toISOString().slice(0, 10)),
      ),
      country: fc.constantFrom('RU', 'KZ', 'DE'),
      city: fc.constantFrom('Moscow', 'Almaty', 'Berlin'),
      consents: fc.subarray(['email', 'sms', 'push'] as Channel[]),
      orders: fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 20_000 })), {
        maxLength: 6,
      }),
    });
    fc.assert(
      fc.property(arbitraryCustomer, (c) => {
        const who = customer(
          {
            id: c.id,
            timeZone: c.timeZone,
            country: c.country,
            city: c.city,
            consents: c.consents,
            registeredAt: '2025-01-31T12:00:00Z',
            ...(c.birthday === null ? {} : { birthday: c.birthday }),
            orders: c.orders.map(([day, total], i) => ({
              id: `o${i}`,
              at: iso(at('2025-02-01T09:00:00Z') + day * DAY),
              total,
              lines: [{ sku: `S${i % 3}`, category: ['coffee', 'tea', 'trousers'][i % 3] ?? 'coffee' }],
            })),
          },
          DEFAULT,
        );
        const { dues } = walk(who, ctx, at('2025-02-01T00:00:00Z'), at('2027-02-01T00:00:00Z'));
        // Strictly increasing: every evaluation moved the customer on (the same instant twice only
        // when something was decided, e.g. two replenishment products in a row).
        for (let i = 1; i < dues.length; i++) expect(dues[i] ?? 0).toBeGreaterThanOrEqual(dues[i - 1] ?? 0);
      }),
      { numRuns: 60, seed: 7 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Property (a): a birthday fires exactly once per local year, on the right local date and hour

const BIRTHDAY_ZONES = [
  'Pacific/Kiritimati',
  'Pacific/Chatham',
  'America/St_Johns',
  'Australia/Lord_Howe',
  'Asia/Kathmandu',
  'Europe/Moscow',
  'America/New_York',
  'Pacific/Apia',
  'Europe/London',
] as const;

/** The local UTC offset in minutes at an instant, from the Intl oracle. */
function offsetOf(instantMs: number, zone: string): number {
  const w = wall(instantMs, zone);
  const local = Date.parse(
    `${w.date}T${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}:00Z`,
  );
  return Math.round((local - Math.floor(instantMs / 60_000) * 60_000) / 60_000);
}

describe('birthday (property)', () => {
  it('fires exactly once per local year, at the local sendHour of the (leap-adjusted) day', () => {
    const START = at('2024-01-01T00:00:00Z');
    const END = at('2026-12-31T00:00:00Z');
    const arbitrary = fc.record({
      zone: fc.constantFrom(...BIRTHDAY_ZONES),
      month: fc.integer({ min: 1, max: 12 }),
      day: fc.integer({ min: 1, max: 31 }),
      leapDay: fc.constantFrom('feb28' as const, 'mar1' as const),
      feb29: fc.boolean(),
      sendHour: fc.integer({ min: 0, max: 23 }),
      daysBefore: fc.integer({ min: 0, max: 2 }),
      daysAfter: fc.integer({ min: 0, max: 3 }),
      probe: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(arbitrary, (a) => {
        // Prepare: Feb 29 a quarter of the time, else a real date of the month.
        const month = a.feb29 ? 2 : a.month;
        const day = a.feb29 ? 29 : Math.min(a.day, new Date(Date.UTC(2023, month, 0)).getUTCDate());
        const birthday = `1996-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
        const p = pack({
          campaigns: [
            {
              id: 'bday',
              trigger: {
                type: 'birthday',
                leapDay: a.leapDay,
                daysBefore: a.daysBefore,
                daysAfter: a.daysAfter,
              },
              reward: { points: 500 },
              channels: ['email'],
              sendHour: a.sendHour,
            },
          ],
        });
        const ctx = ctxOf(p);
        let state = customer({ timeZone: a.zone, birthday, registeredAt: '2023-06-01T00:00:00Z' }, p);
        // Act: jump from due instant to due instant, probing once between jumps.
        const fired: { year: string; at: number }[] = [];
        let now = START;
        for (let i = 0; i < 50; i++) {
          const due = nextDue(state, ctx, now);
          if (due === null || due >= END) break;
          const probe = Math.floor(now + (due - now) * a.probe);
          if (probe < due) expect(evaluateScheduled(state, ctx, probe).decisions).toEqual([]);
          now = Math.max(now, due);
          const out = evaluateScheduled(state, ctx, now);
          for (const d of out.decisions) fired.push({ year: d.key.split('#')[1] ?? '', at: now });
          state = out.state;
        }
        // Assess: once for every year whose window opens inside the simulated span, never twice.
        const expected: { year: string; date: string }[] = [];
        for (let year = 2024; year <= 2027; year++) {
          const b = birthdayIn(year, month, day, a.leapDay);
          const first = new Date(Date.UTC(b.year, b.month - 1, b.day - a.daysBefore));
          const date = first.toISOString().slice(0, 10);
          const opens = fired.find((f) => f.year === String(year));
          // The window opens inside [START, END) when its local date is well inside; skip the edges.
          if (date > '2024-01-02' && date < '2026-12-30') expected.push({ year: String(year), date });
          if (opens && opens.at !== START) expect(wall(opens.at, a.zone).date).toBe(date);
        }
        expect(fired.map((f) => f.year)).toEqual([...new Set(fired.map((f) => f.year))]);
        for (const e of expected) expect(fired.map((f) => f.year)).toContain(e.year);
        for (const f of fired) {
          // A window already open at the start fires at once (catch-up): only scheduled fires are timed.
          if (f.at === START) continue;
          const local = wall(f.at, a.zone);
          if (local.hour !== a.sendHour || local.minute !== 0) {
            // Only when sendHour:00 does not exist that day: a DST gap moved it forward.
            expect(offsetOf(f.at, a.zone)).not.toBe(offsetOf(f.at - 2 * HOUR, a.zone));
          }
        }
      }),
      { numRuns: 250, seed: 20260315 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Property (c): the cap is never exceeded, and a deferred message is never lost while valid

/** Independent check: adding `t` keeps every window of `windowMs` at most `count` sends. */
function fits(sends: readonly number[], t: number, count: number, windowMs: number): boolean {
  const all = [...sends.filter((x) => x > t - windowMs && x < t + windowMs), t].sort((a, b) => a - b);
  for (let i = 0; i + count < all.length; i++)
    if ((all[i + count] ?? 0) - (all[i] ?? 0) < windowMs) return false;
  return true;
}

describe('frequency cap (property)', () => {
  const ZONE = 'America/New_York';
  const START = at('2026-02-20T05:00:00Z');
  const stream = fc.record({
    count: fc.integer({ min: 1, max: 3 }),
    days: fc.integer({ min: 1, max: 7 }),
    channel: fc.constantFrom<Channel>('email', 'push'),
    campaigns: fc
      .uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: 2, maxLength: 5 })
      .chain((priorities) =>
        fc.tuple(
          ...priorities.map((priority) =>
            fc.record({
              priority: fc.constant(priority),
              validity: fc.integer({ min: 1, max: 240 }),
              points: fc.constantFrom(0, 10),
            }),
          ),
        ),
      ),
    batches: fc.array(
      fc.record({
        minute: fc.integer({ min: 0, max: 6 * 7 * 24 * 60 }),
        delayHours: fc.integer({ min: 0, max: 48 }),
        members: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
      }),
      { minLength: 1, maxLength: 25 },
    ),
  });

  it('keeps every rolling window within the cap and defers within validity or proves no slot existed', () => {
    fc.assert(
      fc.property(stream, (s) => {
        // Prepare
        const inputs: CampaignInput[] = s.campaigns.map((c, i) => ({
          id: `c${i}`,
          trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
          channels: [s.channel],
          priority: c.priority,
          messageValidityHours: c.validity,
        }));
        const p = pack({ campaigns: inputs, guardrails: { frequencyCap: { count: s.count, days: s.days } } });
        const ctx = ctxOf(p);
        const W = s.days * DAY;
        const byId = new Map<string, Campaign>(p.campaigns.map((c) => [c.id, c]));
        let state = customer({ timeZone: ZONE }, p);
        const batches = [...s.batches].sort((a, b) => a.minute - b.minute);
        let decided = 0;
        let proposed = 0;
        batches.forEach((b, bi) => {
          const now = START + b.minute * 60_000;
          const members = [...new Set(b.members.map((m) => m % s.campaigns.length))];
          const candidates: Candidate[] = members.map((m) => {
            const c = byId.get(`c${m}`) as Campaign;
            return {
              campaign: c,
              key: `${c.id}#${bi}`,
              dueMs: now + b.delayHours * HOUR,
              points: s.campaigns[m]?.points ?? 0,
              orderId: null,
              offer: null,
              offers: [],
              variables: {},
              onceEver: false,
            };
          });
          proposed += candidates.length;
          const sends = Object.values(state.occurrences)
            .filter((o) => o.capped && o.sendAt !== null && o.status !== 'suppressed')
            .map((o) => at(o.sendAt ?? ''));
          // Act
          const decisions = decide(state, candidates, ctx, now);
          decided += decisions.length;
          // Assess each decision in priority order against the sends before it.
          let previousSlot = Number.NEGATIVE_INFINITY;
          for (const d of decisions) {
            if (d.type === 'Converted') throw new Error('unexpected conversion');
            const desired = Math.max(now, d.candidate.dueMs);
            const expires = desired + d.campaign.messageValidityHours * HOUR;
            const slot = d.type === 'Issued' ? d.sendAtMs : null;
            const reason = d.type === 'Issued' ? d.messageSuppressed : d.reason;
            if (slot !== null) {
              expect(slot).toBeGreaterThanOrEqual(desired);
              expect(slot).toBeLessThanOrEqual(expires);
              expect(fits(sends, slot, s.count, W)).toBe(true);
              if (s.channel === 'push') expect(quietAt(slot, ZONE, 21, 9)).toBe(false);
              // Same desired time for the whole batch: a higher priority never goes later.
              expect(slot).toBeGreaterThanOrEqual(previousSlot);
              previousSlot = slot;
              sends.push(slot);
            } else {
              expect(['cap-expired', 'quiet-hours-expired']).toContain(reason);
              // No instant within the validity was free and allowed: check every send + window
              // (where a cap slot opens) and a 15-minute grid (where New York's quiet hours end).
              const probes = [desired, ...sends.map((x) => x + W)];
              for (let t = Math.ceil(desired / 900_000) * 900_000; t <= expires; t += 900_000) probes.push(t);
              for (const t of probes) {
                if (t < desired || t > expires) continue;
                const allowed = s.channel === 'email' || !quietAt(t, ZONE, 21, 9);
                expect(allowed && fits(sends, t, s.count, W), `free at ${iso(t)}`).toBe(false);
              }
            }
          }
          state = issue(state, decisions, ctx, now).state;
        });
        // Every candidate got a decision; the whole history keeps the cap.
        expect(decided).toBe(proposed);
        const all = Object.values(state.occurrences)
          .filter((o) => o.capped && o.sendAt !== null)
          .map((o) => at(o.sendAt ?? ''))
          .sort((a, b) => a - b);
        for (let i = 0; i + s.count < all.length; i++)
          expect((all[i + s.count] ?? 0) - (all[i] ?? 0)).toBeGreaterThanOrEqual(W);
      }),
      { numRuns: 300, seed: 1234567 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Quiet hours through the engine, across DST (property b, engine side)

describe('quiet hours through the engine (property)', () => {
  const ZONES = [
    'America/New_York',
    'Australia/Lord_Howe',
    'Pacific/Chatham',
    'America/St_Johns',
    'Europe/London',
  ] as const;
  const T = new Map<string, number[]>(
    ZONES.map((z) => [z, transitions(z, at('2025-01-01T00:00:00Z'), at('2027-01-01T00:00:00Z'))]),
  );
  it('never queues an sms or push message inside the local quiet window', () => {
    const p = pack({
      campaigns: [
        {
          id: 'first',
          trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
          reward: { points: 1 },
          channels: ['sms', 'push'],
          delivery: 'all',
        },
      ],
    });
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.nat(),
        fc.integer({ min: -30 * 60, max: 30 * 60 }),
        (zone, pick, minutes) => {
          const list = T.get(zone) ?? [];
          const now = (list[pick % list.length] ?? at('2026-01-01T00:00:00Z')) + minutes * 60_000;
          const out = processEvent(
            customer({ timeZone: zone }, p),
            orderEvent({ id: 'o1', at: iso(now), total: 10 }),
            ctxOf(p),
            now,
          );
          expect(out.messages).toHaveLength(2);
          for (const m of out.messages) expect(quietAt(at(m.sendAt), zone, 21, 9)).toBe(false);
        },
      ),
      { numRuns: 250, seed: 5 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Scenario: a table of steps (submit events, advance the clock, assert), Dittofeed style

type Step =
  | { submit: DomainEvent }
  | { sleepUntil: string }
  | {
      expect: {
        decisions?: string[];
        messages?: string[];
        ledger?: [string, number][];
        balance?: number;
        body?: RegExp;
      };
    };

describe('scenario: a customer through a year', () => {
  const p = pack({
    campaigns: [
      {
        id: 'first-order',
        trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
        reward: { points: 100 },
        channels: ['push', 'email'],
        priority: 90,
      },
      {
        id: 'bday',
        trigger: { type: 'birthday', daysAfter: 3 },
        reward: { points: 500, pointsExpireDays: 30 },
        channels: ['push', 'email'],
        priority: 80,
        templates: {
          en: { body: 'Happy birthday! +{{points}} until {{expiresOn}}' },
          ru: { body: 'С днём рождения, {{firstName}}! +{{points}} до {{expiresOn}}' },
        },
      },
      {
        id: 'review',
        trigger: { type: 'action', action: 'review', maxPerPeriod: 3 },
        reward: { points: 50 },
        channels: ['push'],
        priority: 70,
        capped: false,
      },
      {
        id: 'win-back',
        trigger: { type: 'dormancy', days: 30 },
        reward: { points: 300, offer: { codePrefix: 'WB', validityDays: 7, minBasket: 20 } },
        channels: ['email'],
        priority: 60,
        sendHour: 11,
      },
    ],
  });
  const ctx = ctxOf(p);
  const register = event('CustomerRegistered', '2026-01-10T09:00:00Z', {
    customerId: 'c-1',
    firstName: 'Anna',
    birthday: '1990-01-25',
    timeZone: 'Europe/Moscow',
    locale: 'ru-RU',
    contacts: { email: 'anna@example.com', pushToken: 'tok-1' },
    consents: { email: true, push: true },
  });
  const firstOrder = orderEvent({ id: 'o1', at: '2026-01-10T19:30:00Z', total: 50 });

  const steps: Step[] = [
    { submit: register },
    { expect: { decisions: [], messages: [] } },
    // 22:30 in Moscow: the thank-you push waits for 09:00.
    { submit: firstOrder },
    {
      expect: {
        decisions: ['Issued first-order#once push@2026-01-11T06:00:00.000Z'],
        messages: ['default#c-1#first-order#once#push@2026-01-11T06:00:00.000Z ru'],
        ledger: [
          ['order:o1', 50],
          ['default#c-1#first-order#once', 100],
        ],
        balance: 150,
      },
    },
    { submit: firstOrder },
    { expect: { decisions: [], messages: [], ledger: [] } },
    // Birthday: 10:00 Moscow on Jan 25.
    { sleepUntil: '2026-01-26T00:00:00Z' },
    {
      expect: {
        decisions: ['Issued bday#2026 push@2026-01-25T07:00:00.000Z'],
        messages: ['default#c-1#bday#2026#push@2026-01-25T07:00:00.000Z ru'],
        ledger: [['default#c-1#bday#2026', 500]],
        body: /^С днём рождения, Anna! \+500 до 2026-02-24$/,
        balance: 650,
      },
    },
    // A review at 23:00 Moscow: uncapped, but still quiet hours.
    {
      submit: event('ActionCompleted', '2026-01-27T20:00:00Z', {
        customerId: 'c-1',
        action: 'review',
        reference: 'sku-1',
      }),
    },
    {
      expect: {
        decisions: ['Issued review#review:sku-1 push@2026-01-28T06:00:00.000Z'],
        ledger: [['default#c-1#review#review:sku-1', 50]],
        balance: 700,
      },
    },
    // 30 days without an order from Jan 10 22:30 → Feb 9 22:30 → the next 11:00 Moscow.
    { sleepUntil: '2026-02-12T00:00:00Z' },
    {
      expect: {
        decisions: ['Issued win-back#2026-01-10 email@2026-02-10T08:00:00.000Z'],
        ledger: [],
        balance: 700,
      },
    },
    // Ordering within the offer window converts: +300 on the order.
    { submit: orderEvent({ id: 'o2', at: '2026-02-14T10:00:00Z', total: 30 }) },
    {
      expect: {
        decisions: ['Converted win-back#2026-01-10'],
        messages: [],
        ledger: [
          ['order:o2', 30],
          ['default#c-1#win-back#2026-01-10#conversion', 300],
        ],
        balance: 1030,
      },
    },
    // Cancelling the converting order claws both back.
    { submit: event('OrderCancelled', '2026-02-15T10:00:00Z', { orderId: 'o2', customerId: 'c-1' }) },
    {
      expect: {
        ledger: [
          ['clawback:order:o2', -30],
          ['clawback:default#c-1#win-back#2026-01-10#conversion', -300],
        ],
        balance: 700,
      },
    },
    // The birthday bonus expires 30 days after it was credited (clawbacks came out of their own bucket).
    { sleepUntil: '2026-03-01T00:00:00Z' },
    { expect: { decisions: [], ledger: [['expiry:2026-02-24', -500]], balance: 200 } },
    // A global opt-out: next year's birthday bonus is still credited, with no message.
    {
      submit: event('ConsentChanged', '2026-03-01T10:00:00Z', {
        customerId: 'c-1',
        channel: 'all',
        granted: false,
      }),
    },
    { sleepUntil: '2027-01-26T00:00:00Z' },
    {
      expect: {
        decisions: ['Issued bday#2027 message:opted-out'],
        messages: [],
        ledger: [
          ['expiry:2027-01-10', -150],
          ['default#c-1#bday#2027', 500],
        ],
        balance: 550,
      },
    },
  ];

  it('runs the steps', () => {
    // Start from nobody: the first step registers the customer.
    let state: CustomerState = emptyState('default', 'c-1');
    let clock = at('2026-01-10T00:00:00Z');
    let pending: Outcome[] = [];
    for (const [i, step] of steps.entries()) {
      if ('submit' in step) {
        clock = Math.max(clock, at(step.submit.at));
        const out = processEvent(state, step.submit, ctx, clock);
        pending.push(out);
        state = out.state;
      } else if ('sleepUntil' in step) {
        const until = at(step.sleepUntil);
        for (let n = 0; n < 100; n++) {
          const due = nextDue(state, ctx, clock);
          if (due === null || due > until) break;
          clock = Math.max(clock, due);
          const out = evaluateScheduled(state, ctx, clock);
          pending.push(out);
          state = out.state;
        }
        clock = until;
      } else {
        const e = step.expect;
        const decisions = pending.flatMap((o) => o.decisions).map(describeDecision);
        const messages = pending.flatMap((o) => o.messages);
        const ledger = pending.flatMap((o) => o.ledger).map((l: LedgerEntry) => [l.entryId, l.points]);
        if (e.decisions) expect(decisions, `step ${i}`).toEqual(e.decisions);
        if (e.messages)
          expect(
            messages.map((m: Message) => `${m.messageId}@${m.sendAt} ${m.locale}`),
            `step ${i}`,
          ).toEqual(e.messages);
        if (e.ledger) expect(ledger, `step ${i}`).toEqual(e.ledger);
        if (e.balance !== undefined) expect(state.points.balance, `step ${i}`).toBe(e.balance);
        if (e.body) expect(messages[0]?.content.body, `step ${i}`).toMatch(e.body);
        pending = [];
      }
    }
  });
});

function describeDecision(d: Decision): string {
  if (d.type === 'Converted') return `Converted ${d.key}`;
  if (d.type === 'Suppressed') return `Suppressed ${d.key} ${d.reason}`;
  if (d.messageSuppressed !== null) return `Issued ${d.key} message:${d.messageSuppressed}`;
  const channels = d.channels.join(',');
  return d.sendAtMs === null ? `Issued ${d.key}` : `Issued ${d.key} ${channels}@${iso(d.sendAtMs)}`;
}
