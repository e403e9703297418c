/**
 * What an issuance keeps of the customer's occurrence records: a record goes once its campaign's
 * retention (`retentionDays`) has passed, unless it is once-ever or its message was deferred past its
 * decision and is not sent yet; the records the step itself makes always stay.
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
