/**
 * Cancelling an order takes back everything the order earned: its base points, the purchase-based
 * bonuses, and the milestone and tier-up bonuses it crossed a threshold for. Placing and cancelling an
 * order is worth nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayResult } from '../../local/replay.ts';
import { replayEvents } from '../../local/replay.ts';
import { DEFAULT_PACK } from './fixtures.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'order-cancellation-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A customer outside every holdout; one order of 60,000 crosses the first-order and the 50,000-spend
// milestones, and its cashback.
const EVENTS = [
  {
    id: 'e1',
    'detail-type': 'CustomerRegistered',
    time: '2025-05-01T08:00:00Z',
    detail: {
      customerId: 'c2',
      timeZone: 'Europe/Moscow',
      contacts: { email: 'a@x.io' },
      consents: { email: true },
    },
  },
  {
    id: 'e2',
    'detail-type': 'OrderPlaced',
    time: '2025-05-01T09:00:00Z',
    detail: {
      orderId: 'o1',
      customerId: 'c2',
      currency: 'RUB',
      total: 60000,
      lines: [{ sku: 'tv', quantity: 1, unitPrice: 60000 }],
    },
  },
  {
    id: 'e3',
    'detail-type': 'OrderCancelled',
    time: '2025-05-01T10:00:00Z',
    detail: { orderId: 'o1', customerId: 'c2' },
  },
  {
    id: 'e4',
    'detail-type': 'CustomerUpdated',
    time: '2025-05-03T00:00:00Z',
    detail: { customerId: 'c2', firstName: 'A' },
  },
];

/** An order of customer c2: one line of `total`. */
function order(id: string, orderId: string, time: string, total: number, sku = 'x', category = 'shoes') {
  return {
    id,
    'detail-type': 'OrderPlaced',
    time,
    detail: {
      orderId,
      customerId: 'c2',
      currency: 'RUB',
      total,
      lines: [{ sku, category, quantity: 1, unitPrice: total }],
    },
  };
}

async function replay(events: object[]): Promise<ReplayResult> {
  const path = join(dir, 'events.jsonl');
  writeFileSync(path, `${events.map((e) => JSON.stringify({ source: 'shop', ...e })).join('\n')}\n`);
  return replayEvents({ eventsPath: path, pack: DEFAULT_PACK, nowMs: Date.parse('2026-01-01T00:00:00Z') });
}

describe('cancelling an order', () => {
  it('claws back the milestone bonuses the order crossed, with its own points and cashback', async () => {
    const run = await replay(EVENTS);
    const earned = run.bonuses.filter((b) => b.points > 0).map((b) => b.campaignId ?? b.reason);
    expect(earned.sort()).toEqual([
      'accrual',
      'cashback-by-tier',
      'first-order-thank-you',
      'spend-50000',
      'tier-up-gold',
    ]);
    expect(run.bonuses.reduce((sum, b) => sum + b.points, 0)).toBe(0);
    const state = run.states.find((s) => s.customerId === 'c2');
    expect(state?.points.balance).toBe(0);
    // The order's bonuses lifted the customer to Gold in its own step; that tier-up goes with it, and no
    // tier is reached with points that are gone.
    const milestones = Object.values(state?.occurrences ?? {}).filter((o) => o.onceEver);
    expect(milestones.map((o) => [o.campaignId, o.status, o.orderId]).sort()).toEqual([
      ['first-order-thank-you', 'clawed-back', 'o1'],
      ['spend-50000', 'clawed-back', 'o1'],
      ['tier-up-gold', 'clawed-back', 'o1'],
    ]);
  });

  it('keeps the milestones of an order that stands', async () => {
    const run = await replay(EVENTS.filter((e) => e.id !== 'e3'));
    const total = run.bonuses.reduce((sum, b) => sum + b.points, 0);
    expect(total).toBeGreaterThanOrEqual(600 + 100 + 1000);
    expect(run.bonuses.filter((b) => b.reason === 'clawback')).toEqual([]);
    // The bonuses lift the customer to Gold at once: the tier-up comes in the order's step, not at the
    // customer's next event (a profile update 2 days later).
    const gold = run.bonuses.find((b) => b.campaignId === 'tier-up-gold');
    expect(gold?.at).toBe('2025-05-01T09:00:00.000Z');
  });

  it('claws back the bonuses of an order cancelled after their records were pruned', async () => {
    // Three orders, a review a fortnight later (its issuance prunes week-old occurrence records), then
    // the third order is cancelled.
    const run = await replay([
      EVENTS[0] ?? {},
      order('o-1', 'o1', '2025-05-01T09:00:00Z', 30000),
      order('o-2', 'o2', '2025-05-02T09:00:00Z', 30000),
      order('o-3', 'o3', '2025-05-03T09:00:00Z', 30000),
      {
        id: 'a-1',
        'detail-type': 'ActionCompleted',
        time: '2025-05-15T09:00:00Z',
        detail: { customerId: 'c2', action: 'review', reference: 'r1' },
      },
      {
        id: 'x-3',
        'detail-type': 'OrderCancelled',
        time: '2025-05-20T09:00:00Z',
        detail: { orderId: 'o3', customerId: 'c2' },
      },
    ]);
    const ofOrder = run.bonuses.filter((b) => b.entryId.includes('o3'));
    const earned = ofOrder.filter((b) => b.points > 0);
    expect(earned.map((b) => b.campaignId ?? b.reason).sort()).toEqual([
      'accrual',
      'cashback-by-tier',
      'favourite-category-bonus',
    ]);
    expect(ofOrder.reduce((sum, b) => sum + b.points, 0)).toBe(0);
    // The records were gone: one debit of what the order's record says its bonuses came to.
    expect(ofOrder.filter((b) => b.reason === 'clawback').map((b) => b.entryId)).toEqual([
      'clawback:order:o3',
      'clawback:order:o3#bonus',
    ]);
  });

  it('takes nothing back for points that expired before the cancellation', async () => {
    const run = await replay([
      { ...EVENTS[0], time: '2024-01-01T08:00:00Z' },
      order('o-1', 'o1', '2024-01-10T09:00:00Z', 10000, 'x', 'misc'),
      order('o-2', 'o2', '2025-01-05T09:00:00Z', 10000, 'y', 'misc'),
      {
        id: 'x-1',
        'detail-type': 'OrderCancelled',
        time: '2025-02-01T09:00:00Z',
        detail: { orderId: 'o1', customerId: 'c2' },
      },
    ]);
    // o1's points (its accrual, cashback and the first-order bonus) expired on 2025-01-09.
    const expired = run.bonuses.filter((b) => b.reason === 'expiry');
    expect(expired.map((b) => [b.entryId, b.points])).toEqual([['expiry:2025-01-09', -300]]);
    // Clawing them back again would take o2's points: the cancellation takes nothing.
    expect(run.bonuses.filter((b) => b.reason === 'clawback')).toEqual([]);
    const balance = run.states.find((s) => s.customerId === 'c2')?.points.balance;
    expect(balance).toBe(run.bonuses.reduce((sum, b) => sum + b.points, 0));
    expect(balance).toBeGreaterThan(0);
  });
});
