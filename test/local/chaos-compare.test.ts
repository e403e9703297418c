/**
 * How the chaos run's messages are held against the oracle's (local/chaos/run.ts `compareMessages`):
 * a message decided at another instant moves every instant derived from the decision and must be the
 * same otherwise — later after a retry, or at most one dispatch interval earlier when a retried write
 * or a redelivered batch evaluated the customer again before the oracle's next tick (the chaos run of
 * seed 1 at 20,000 events: a points-expiring reminder decided at 16:31 instead of 16:46, in the
 * re-evaluation after the write of the birthday bonus that opened its window timed out).
 */
import { describe, expect, it } from 'vitest';
import { zeroCounters } from '../../functions/domain/campaign-stats.ts';
import type { Message } from '../../functions/domain/message.ts';
import { compareMessages, compareStats } from '../../local/chaos/run.ts';

function message(
  id: string,
  decidedAt: string,
  sendAt: string,
  extra: Record<string, unknown> = {},
): Message {
  return {
    messageId: `default#c-1#${id}#email`,
    occurrenceKey: `default#c-1#${id}`,
    campaignId: id,
    customerId: 'c-1',
    brand: 'default',
    channel: 'email',
    variables: { expiresOn: '2026-03-01', ...extra },
    sendAt,
    createdAt: decidedAt,
  } as unknown as Message;
}

const NONE = new Set<string>();

describe('compareMessages', () => {
  it('accepts a message decided one tick earlier, the same but for its instants', () => {
    const oracle = [message('reminder', '2026-01-30T16:46:00.000Z', '2026-01-30T16:46:00.000Z')];
    const chaos = [message('reminder', '2026-01-30T16:31:00.000Z', '2026-01-30T16:31:00.000Z')];
    expect(compareMessages(oracle, chaos, NONE)).toMatchObject({ earlierMessages: 1, changedMessages: 0 });
  });

  it('counts as changed a message decided more than a dispatch interval earlier', () => {
    const oracle = [message('reminder', '2026-01-30T16:46:00.000Z', '2026-01-30T16:46:00.000Z')];
    const chaos = [message('reminder', '2026-01-30T16:16:00.000Z', '2026-01-30T16:16:00.000Z')];
    expect(compareMessages(oracle, chaos, NONE)).toMatchObject({ earlierMessages: 0, changedMessages: 1 });
  });

  it('counts as changed an earlier message whose content differs', () => {
    const oracle = [
      message('reminder', '2026-01-30T16:46:00.000Z', '2026-01-30T16:46:00.000Z', { balance: 500 }),
    ];
    const chaos = [
      message('reminder', '2026-01-30T16:31:00.000Z', '2026-01-30T16:31:00.000Z', { balance: 600 }),
    ];
    expect(compareMessages(oracle, chaos, NONE)).toMatchObject({ earlierMessages: 0, changedMessages: 1 });
  });

  it('tells delayed, redelivered, duplicate, lost and held messages apart', () => {
    const oracle = [
      message('late', '2026-01-30T10:00:00.000Z', '2026-01-30T10:00:00.000Z'),
      message('twice', '2026-01-30T10:00:00.000Z', '2026-01-30T10:00:00.000Z'),
      message('lost', '2026-01-30T10:00:00.000Z', '2026-01-30T10:00:00.000Z'),
      message('held', '2026-01-30T10:00:00.000Z', '2026-03-30T10:00:00.000Z'),
    ];
    const chaos = [
      message('late', '2026-01-30T10:05:00.000Z', '2026-01-30T10:05:00.000Z'),
      message('twice', '2026-01-30T10:00:00.000Z', '2026-01-30T10:00:00.000Z'),
      message('twice', '2026-01-30T10:07:00.000Z', '2026-01-30T10:00:00.000Z'),
      message('twice', '2026-01-30T10:00:00.000Z', '2026-01-31T10:00:00.000Z'),
      message('extra', '2026-01-30T10:00:00.000Z', '2026-01-30T10:00:00.000Z'),
    ];
    const out = compareMessages(oracle, chaos, new Set(['default#c-1#held#email']));
    expect(out).toMatchObject({
      delayedMessages: 1,
      redeliveredMessages: 1,
      duplicateMessages: 2,
      lostMessages: 1,
      changedMessages: 0,
      earlierMessages: 0,
      messages: 3,
    });
  });
});

describe('compareStats', () => {
  const item = (campaignId: string, day: string, fired: number, suppressed: Record<string, number> = {}) => ({
    brand: 'default',
    campaignId,
    day,
    counters: { ...zeroCounters(), fired, suppressed },
  });

  it('accepts the same counts in any order, a zero suppression reason being no reason', () => {
    const oracle = [item('a', '2026-01-02', 2), item('b', '2026-01-02', 1, { holdout: 1 })];
    const chaos = [item('b', '2026-01-02', 1, { holdout: 1, 'no-consent': 0 }), item('a', '2026-01-02', 2)];
    expect(compareStats(oracle, chaos)).toEqual({ statsMismatches: 0, differences: [] });
  });

  it('accepts a decision counted on the next day (a message delayed past midnight by a retry)', () => {
    const oracle = [item('a', '2026-01-02', 2)];
    const chaos = [item('a', '2026-01-02', 1), item('a', '2026-01-03', 1)];
    expect(compareStats(oracle, chaos).statsMismatches).toBe(0);
  });

  it('accepts another deferred count (a delayed decision may meet the frequency cap)', () => {
    const deferred = (n: number) => ({
      ...item('a', '2026-01-02', 2),
      counters: { ...zeroCounters(), fired: 2, deferred: n },
    });
    expect(compareStats([deferred(0)], [deferred(1)]).statsMismatches).toBe(0);
  });

  it('counts a campaign counted twice, one missing and one only in the chaos run', () => {
    const oracle = [item('a', '2026-01-02', 2), item('b', '2026-01-02', 1)];
    const chaos = [item('a', '2026-01-02', 2), item('a', '2026-01-03', 2), item('c', '2026-01-03', 1)];
    const compared = compareStats(oracle, chaos);
    expect(compared.statsMismatches).toBe(3);
    expect(compared.differences.join('\n')).toContain('stats default#b\n  chaos  (none)');
  });
});
