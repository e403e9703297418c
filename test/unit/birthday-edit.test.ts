/**
 * A birthday bonus is once per year, whatever the customer does with the birthday afterwards. Found by
 * the chaos run (seed 1, 20,000 events): the occurrence record of `birthday-bonus#2026` was pruned a
 * week after the bonus (its window had closed), the customer then moved the birthday to a later day
 * of the same year (an edit within `birthdayEditsPerYear`), the window of `birthday-bonus#2026` opened
 * again with no record to say it was decided, and the bonus was credited and announced a second time.
 */
import { describe, expect, it } from 'vitest';
import { evaluateScheduled, processEvent } from '../../functions/domain/engine.ts';
import { ctxOf, customer, event, orderEvent, pack } from './engine-fixtures.ts';

const p = pack({
  campaigns: [
    {
      id: 'birthday-bonus',
      trigger: { type: 'birthday', daysBefore: 0, daysAfter: 3 },
      reward: { points: 500 },
      channels: ['email'],
    },
    // Any later decision prunes the records whose retention has passed.
    {
      id: 'first-order',
      trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
      reward: { points: 100 },
      channels: ['email'],
    },
  ],
});
const ctx = ctxOf(p);
const at = (iso: string) => Date.parse(iso);

describe('the birthday bonus after a birthday edit', () => {
  it('is not given again in the same year when the birthday moves to a later day', () => {
    let state = customer(
      { birthday: '1979-01-14', timeZone: 'UTC', registeredAt: '2025-11-03T00:00:00Z' },
      p,
    );
    const first = evaluateScheduled(state, ctx, at('2026-01-14T10:00:00Z'));
    expect(first.decisions.map((d) => `${d.type} ${d.key}`)).toEqual(['Issued birthday-bonus#2026']);
    state = first.state;

    // A week later another decision is recorded (and old records pruned); then the birthday moves.
    state = processEvent(
      state,
      orderEvent({ id: 'o1', at: '2026-01-22T18:00:00Z', total: 10 }),
      ctx,
      at('2026-01-22T18:00:00Z'),
    ).state;
    const edit = event('CustomerUpdated', '2026-01-25T15:00:00Z', {
      customerId: 'c-1',
      birthday: '1965-02-05',
    });
    state = processEvent(state, edit, ctx, at(edit.at)).state;
    expect(state.profile.birthday).toMatchObject({ month: 2, day: 5 });

    for (const day of ['2026-02-05', '2026-02-06', '2026-02-08']) {
      const out = evaluateScheduled(state, ctx, at(`${day}T10:00:00Z`));
      expect(out.decisions).toEqual([]);
      expect(out.ledger).toEqual([]);
      state = out.state;
    }
  });

  it('is given on the new day next year', () => {
    let state = customer(
      { birthday: '1979-01-14', timeZone: 'UTC', registeredAt: '2025-11-03T00:00:00Z' },
      p,
    );
    state = evaluateScheduled(state, ctx, at('2026-01-14T10:00:00Z')).state;
    const edit = event('CustomerUpdated', '2026-01-25T15:00:00Z', {
      customerId: 'c-1',
      birthday: '1965-02-05',
    });
    state = processEvent(state, edit, ctx, at(edit.at)).state;
    const next = evaluateScheduled(state, ctx, at('2027-02-05T10:00:00Z'));
    expect(next.decisions.map((d) => `${d.type} ${d.key}`)).toEqual(['Issued birthday-bonus#2027']);
  });

  it("is not given for last year's birthday a day after this year's (a move back across New Year)", () => {
    // Jan 2's bonus is issued; the birthday moves to Dec 31, whose window of last year is still in its
    // catch-up days (daysAfter 3): that year was never decided, but a bonus two days later is not
    // once a year.
    let state = customer(
      { birthday: '1990-01-02', timeZone: 'UTC', registeredAt: '2025-11-03T00:00:00Z' },
      p,
    );
    const first = evaluateScheduled(state, ctx, at('2026-01-02T10:00:00Z'));
    expect(first.decisions.map((d) => `${d.type} ${d.key}`)).toEqual(['Issued birthday-bonus#2026']);
    state = first.state;
    const edit = event('CustomerUpdated', '2026-01-02T12:00:00Z', {
      customerId: 'c-1',
      birthday: '1990-12-31',
    });
    state = processEvent(state, edit, ctx, at(edit.at)).state;
    for (const instant of ['2026-01-02T12:15:00Z', '2026-01-03T10:00:00Z', '2026-01-04T10:00:00Z']) {
      const out = evaluateScheduled(state, ctx, at(instant));
      expect(out.decisions).toEqual([]);
      state = out.state;
    }
    // The new day counts from next time on: Dec 31, 2027 (2026's bonus is the one of Jan 2).
    expect(evaluateScheduled(state, ctx, at('2026-12-31T10:00:00Z')).decisions).toEqual([]);
    const next = evaluateScheduled(state, ctx, at('2027-12-31T10:00:00Z'));
    expect(next.decisions.map((d) => `${d.type} ${d.key}`)).toEqual(['Issued birthday-bonus#2027']);
  });

  it('is given in consecutive years when last year came late in its catch-up days', () => {
    let state = customer(
      { birthday: '1990-03-10', timeZone: 'UTC', registeredAt: '2025-11-03T00:00:00Z' },
      p,
    );
    // Caught up on the last day of the window (daysAfter 3), then on time next year.
    const late = evaluateScheduled(state, ctx, at('2026-03-13T20:00:00Z'));
    expect(late.decisions.map((d) => `${d.type} ${d.key}`)).toEqual(['Issued birthday-bonus#2026']);
    state = late.state;
    const next = evaluateScheduled(state, ctx, at('2027-03-10T10:00:00Z'));
    expect(next.decisions.map((d) => `${d.type} ${d.key}`)).toEqual(['Issued birthday-bonus#2027']);
  });
});
