/**
 * What an issuance keeps of the customer's occurrence records: a record goes once its campaign's
 * retention (`retentionDays`) has passed, unless it is once-ever or its message was deferred past its
 * decision and is not sent yet; the records the step itself makes, and those it converts, always stay.
 */
import { describe, expect, it } from 'vitest';
import type { OccurrenceRecord } from '../../functions/domain/customer-state.ts';
import { processEvent } from '../../functions/domain/engine.ts';
import { retentionDays } from '../../functions/domain/scheduled-triggers.ts';
import { ctxOf, customer, DAY, occurrenceRecord, orderEvent, pack } from './engine-fixtures.ts';

const p = pack({
  campaigns: [
    {
      id: 'first-order',
      trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
      reward: { points: 100 },
      channels: ['email'],
    },
    {
      id: 'anniversary',
      trigger: { type: 'anniversary', everyMonths: 12, daysAfter: 2 },
      reward: { points: 50 },
      channels: ['email'],
    },
  ],
});
const ctx = ctxOf(p);
const NOW = Date.parse('2026-06-10T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const occurrence = (campaignId: string, atMs: number, extra: Partial<OccurrenceRecord> = {}) =>
  occurrenceRecord(campaignId, campaignId === 'first-order' ? 'milestone' : 'anniversary', iso(atMs), {
    channels: ['email'],
    ...extra,
  });

describe('occurrence records an issuance keeps', () => {
  it('drops the records past retention, and keeps once-ever, pending and recent ones', () => {
    const anniversary = p.campaigns.find((c) => c.id === 'anniversary');
    if (anniversary === undefined) throw new Error('no anniversary campaign');
    const keep = retentionDays(anniversary, p.guardrails.frequencyCap.days) * DAY;
    const state = customer({ registeredAt: '2024-06-01T00:00:00Z', timeZone: 'UTC' }, p);
    state.occurrences = {
      'anniversary#old': occurrence('anniversary', NOW - keep - DAY),
      'anniversary#just-kept': occurrence('anniversary', NOW - keep + DAY),
      'anniversary#pending': occurrence('anniversary', NOW - keep - DAY, { sendAt: iso(NOW + DAY) }),
      'milestone#ever': occurrence('first-order', NOW - 3 * 365 * DAY, { onceEver: true }),
    };
    const before = structuredClone(state.occurrences);

    const out = processEvent(state, orderEvent({ id: 'o-1', at: iso(NOW), total: 40 }), ctx, NOW);

    expect(out.decisions.map((d) => d.type)).toContain('Issued');
    const issued = out.decisions.flatMap((d) => (d.type === 'Issued' ? [d.key] : []));
    expect(Object.keys(out.state.occurrences).toSorted()).toEqual(
      ['anniversary#just-kept', 'anniversary#pending', 'milestone#ever', ...issued].toSorted(),
    );
    // The input state is untouched, and kept records are the same objects.
    expect(state.occurrences).toEqual(before);
    expect(out.state.occurrences['anniversary#pending']).toBe(state.occurrences['anniversary#pending']);
  });

  it('prunes nothing in a step that decides nothing', () => {
    const fresh = customer({ registeredAt: '2024-06-01T00:00:00Z', timeZone: 'UTC' }, p);
    const first = processEvent(
      fresh,
      orderEvent({ id: 'o-1', at: iso(NOW - DAY), total: 40 }),
      ctx,
      NOW - DAY,
    );
    const state = first.state;
    state.occurrences = {
      ...state.occurrences,
      'anniversary#old': occurrence('anniversary', NOW - 400 * DAY),
    };
    // A second order: applied, but no campaign decides anything.
    const out = processEvent(state, orderEvent({ id: 'o-2', at: iso(NOW), total: 40 }), ctx, NOW);
    expect(out.decisions).toEqual([]);
    expect(out.state.stats.orders).toBe(2);
    expect(out.state.occurrences['anniversary#old']).toBeDefined();
  });
});

describe('a record a step converts', () => {
  it('is kept whatever its age: an order arriving days late converts a win-back offer sent a year before', () => {
    // Prepare: a win-back offer valid 365 days (the most a pack allows), sent at T0; an order placed
    // the day before it expires reaches the engine six days later, when the record is past retention
    const winBack = pack({
      campaigns: [
        {
          id: 'win-back',
          trigger: { type: 'dormancy', days: 30 },
          reward: { points: 300, offer: { codePrefix: 'BACK', validityDays: 365 } },
          channels: ['email'],
        },
      ],
    });
    const winBackCtx = ctxOf(winBack);
    const T0 = Date.parse('2025-01-01T11:00:00Z');
    const state = customer({ registeredAt: '2024-06-01T00:00:00Z', timeZone: 'UTC' }, winBack);
    const key = 'win-back#2025-01-01';
    state.occurrences = {
      [key]: occurrenceRecord('win-back', 'dormancy', iso(T0), {
        sendAt: iso(T0),
        channels: ['email'],
        offer: {
          code: 'BACK-1',
          expiresAt: iso(T0 + 365 * DAY),
          pointsOnOrder: 300,
          minBasket: 0,
          accrualPercent: null,
          category: null,
        },
      }),
    };
    const campaign = winBack.campaigns.find((c) => c.id === 'win-back');
    if (campaign === undefined) throw new Error('no win-back campaign');
    const nowMs = T0 + 370 * DAY;
    expect(T0).toBeLessThan(nowMs - retentionDays(campaign, winBack.guardrails.frequencyCap.days) * DAY);

    // Act
    const out = processEvent(
      state,
      orderEvent({ id: 'o-late', at: iso(T0 + 364 * DAY), total: 40 }),
      winBackCtx,
      nowMs,
    );

    // Assess: converted and credited, the record kept with its new status
    expect(out.decisions.map((d) => [d.type, d.key])).toEqual([['Converted', key]]);
    expect(out.state.occurrences[key]?.status).toBe('converted');
    expect(out.ledger.filter((e) => e.reason === 'conversion').map((e) => e.points)).toEqual([300]);
  });
});
