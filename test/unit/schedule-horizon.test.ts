/**
 * A compiled schedule is trusted until its horizon, so every window that opens before the horizon must
 * be in it. Points-expiring windows of later buckets overlap earlier ones: a third bucket's window can
 * open before the second one ends.
 */
import { describe, expect, it } from 'vitest';
import { parseCampaignPack } from '../../functions/domain/campaign-pack.ts';
import type { CustomerState } from '../../functions/domain/customer-state.ts';
import { emptyState } from '../../functions/domain/customer-state.ts';
import type { EngineContext } from '../../functions/domain/engine.ts';
import { evaluateScheduled } from '../../functions/domain/engine.ts';
import { compileSchedule } from '../../functions/domain/schedule.ts';
import { DEFAULT_PACK } from './fixtures.ts';

const DAY = 86_400_000;
const at = (s: string) => Date.parse(s);

function customerWithBuckets(days: string[]): CustomerState {
  const state = emptyState('default', 'c-horizon');
  state.profile.timeZone = 'Europe/Moscow';
  state.points.buckets = days.map((expiresOn) => ({ expiresOn, points: 800 }));
  state.points.balance = 800 * days.length;
  state.consents.email = { granted: true, at: '2026-01-01T00:00:00.000Z', eventId: 'e' };
  state.contacts.email = 'c@example.com';
  return state;
}

describe('compiled schedule horizon', () => {
  it('lists every points-expiring window that opens before the horizon', () => {
    // Prepare: buckets expiring on Jul 2, Jul 20 and Jul 25; with a 30-day notice the third window opens
    // on Jun 25, before the second one ends on Jul 20.
    const ctx: EngineContext = { pack: DEFAULT_PACK, model: null };
    const state = customerWithBuckets(['2026-07-02', '2026-07-20', '2026-07-25']);
    const compiledAt = at('2026-05-01T00:00:00Z');
    const schedule = compileSchedule(state, ctx, compiledAt);

    // Act
    const starts: number[] = [];
    for (let i = 0; i < schedule.pairs.length; i += 2) starts.push(schedule.pairs[i] as number);

    // Assess
    const opensBeforeHorizon = starts.filter((s) => s < schedule.horizon);
    expect(opensBeforeHorizon.length).toBeGreaterThanOrEqual(3);
  });

  it("decides each bucket's notice when its window opens, not when an earlier bucket expires", () => {
    // Prepare
    const ctx: EngineContext = { pack: DEFAULT_PACK, model: null };
    let state = customerWithBuckets(['2026-07-02', '2026-07-20', '2026-07-25']);
    const decidedAt = new Map<string, number>();

    // Act: evaluate hour by hour, as the dispatcher would wake the customer.
    for (let t = at('2026-05-01T00:00:00Z'); t < at('2026-07-26T00:00:00Z'); t += DAY / 24) {
      const outcome = evaluateScheduled(state, ctx, t);
      for (const d of outcome.decisions) if (!decidedAt.has(d.key)) decidedAt.set(d.key, t);
      state = outcome.state;
    }

    // Assess: 30 days before Jul 25 at 11:00 in Moscow is Jun 25, 08:00 UTC.
    const third = decidedAt.get('points-expiring-30-days#2026-07-25');
    expect(third, 'third bucket decided').toBeDefined();
    expect(third).toBeLessThanOrEqual(at('2026-06-25T08:00:00Z'));
  });

  it('lists every monthly anniversary window that opens before the horizon (long catch-up)', () => {
    // Prepare: monthly anniversaries with 30 days of catch-up overlap their neighbours.
    const pack = parseCampaignPack(
      [
        'version: 1',
        'campaigns:',
        '  - id: monthly',
        '    name: Monthly thank-you points',
        '    trigger: { type: anniversary, everyMonths: 1, daysAfter: 30 }',
        '    reward: { points: 10 }',
      ].join('\n'),
      'monthly.yaml',
    );
    const ctx: EngineContext = { pack, model: null };
    const state = emptyState('default', 'c-monthly');
    state.profile.timeZone = 'Europe/Moscow';
    state.profile.registeredAt = '2026-01-30T21:00:00.000Z';

    // Act
    const schedule = compileSchedule(state, ctx, at('2026-02-01T00:00:00Z'));
    const starts: number[] = [];
    for (let i = 0; i < schedule.pairs.length; i += 2) starts.push(schedule.pairs[i] as number);

    // Assess: the third month's window opens before the second one ends, so it is listed too.
    expect(starts.length).toBeGreaterThanOrEqual(3);
    expect(starts.every((s) => s < schedule.horizon)).toBe(true);
  });
});
