/**
 * Consent is honoured from the next event on, for messages decided before it too: a message still held
 * for a later send time (quiet hours, best hour, the cap's deferral) is withdrawn when its channel loses
 * consent; one already queued (within SQS's 15-minute delay of its send time) is out of reach.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustomerState } from '../../functions/domain/customer-state.ts';
import { emptyState } from '../../functions/domain/customer-state.ts';
import { HELD_BEYOND_MS, withdrawHeldSends } from '../../functions/domain/guardrails.ts';
import type { ReplayResult } from '../../local/replay.ts';
import { replayEvents } from '../../local/replay.ts';
import { DEFAULT_PACK } from './fixtures.ts';
import { occurrenceRecord } from './occurrence-record.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'consent-withdrawal-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A Berlin customer (outside every holdout) with push only, ordering at 22:00 local: quiet hours hold
// the push messages (first-order thanks, the weekly offer) until 09:00 local, 07:00 UTC.
const REGISTERED = {
  id: 'e1',
  'detail-type': 'CustomerRegistered',
  time: '2025-06-01T08:00:00Z',
  detail: {
    customerId: 'c16',
    timeZone: 'Europe/Berlin',
    contacts: { pushToken: 'tok16' },
    consents: { push: true },
  },
};
const ORDER = {
  id: 'e2',
  'detail-type': 'OrderPlaced',
  time: '2025-06-10T20:00:00Z',
  detail: {
    orderId: 'o16',
    customerId: 'c16',
    currency: 'EUR',
    total: 50,
    lines: [{ sku: 's1', quantity: 1, unitPrice: 50 }],
  },
};
const revoke = (time: string) => ({
  id: 'e3',
  'detail-type': 'ConsentChanged',
  time,
  detail: { customerId: 'c16', channel: 'push', granted: false },
});
// Another customer's event two days later: the run goes on past the send time.
const LATER = {
  id: 'e4',
  'detail-type': 'CustomerUpdated',
  time: '2025-06-12T00:00:00Z',
  detail: { customerId: 'zz', firstName: 'T' },
};

async function run(name: string, events: object[]): Promise<ReplayResult> {
  const path = join(dir, `${name}.jsonl`);
  writeFileSync(path, `${events.map((e) => JSON.stringify({ source: 'shop', ...e })).join('\n')}\n`);
  return replayEvents({ eventsPath: path, pack: DEFAULT_PACK, nowMs: Date.parse('2026-01-01T00:00:00Z') });
}

describe('withdrawing held messages when consent goes', () => {
  it('sends nothing on a channel whose consent was withdrawn before the send time', async () => {
    const kept = await run('kept', [REGISTERED, ORDER, LATER]);
    const held = kept.messages.filter((m) => m.customerId === 'c16');
    expect(held.map((m) => m.channel)).toEqual(['push', 'push']);
    expect(held.every((m) => m.sendAt === '2025-06-11T07:00:00.000Z')).toBe(true);

    const revoked = await run('revoked', [REGISTERED, ORDER, revoke('2025-06-10T21:00:00Z'), LATER]);
    expect(revoked.messages.filter((m) => m.customerId === 'c16')).toEqual([]);
    expect(revoked.heldAtEnd).toBe(0);
    // The rewards stay: consent governs messages, not points.
    expect(revoked.bonuses).toEqual(kept.bonuses);
    const state = revoked.states.find((s) => s.customerId === 'c16');
    const thanks = Object.values(state?.occurrences ?? {}).find(
      (o) => o.campaignId === 'first-order-thank-you',
    );
    expect(thanks).toMatchObject({ status: 'issued', channels: [], sendAt: null, reason: 'withdrawn' });
  });

  it('leaves a message already queued: within 15 minutes of its send time it has left the engine', async () => {
    // 06:50 UTC: the dispatcher run of 06:46 queued the 07:00 sends (SQS delays them the rest).
    const late = await run('late', [REGISTERED, ORDER, revoke('2025-06-11T06:50:00Z'), LATER]);
    expect(late.messages.filter((m) => m.customerId === 'c16').map((m) => m.channel)).toEqual([
      'push',
      'push',
    ]);
  });

  it('takes only the lost channels off, and only from messages still held', () => {
    const nowMs = Date.parse('2025-06-10T21:00:00Z');
    const occ = (sendAt: string | null, channels: ('email' | 'push')[]) =>
      occurrenceRecord({
        campaignId: 'x',
        trigger: 'milestone',
        at: '2025-06-10T20:00:00Z',
        sendAt,
        channels,
      });
    const consent = (granted: boolean) => ({ granted, at: '2025-06-01T08:00:00Z', eventId: 'e1' });
    const prev: CustomerState = {
      ...emptyState('default', 'c1'),
      contacts: { email: 'a@b.c', phone: null, pushToken: 't' },
      consents: { email: consent(true), sms: null, push: consent(true) },
      occurrences: {
        held: occ('2025-06-11T07:00:00.000Z', ['email', 'push']),
        soon: occ(new Date(nowMs + HELD_BEYOND_MS).toISOString(), ['push']),
        pushOnly: occ('2025-06-11T07:00:00.000Z', ['push']),
      },
    };
    const next: CustomerState = { ...prev, consents: { ...prev.consents, push: consent(false) } };
    const out = withdrawHeldSends(prev, next, nowMs);
    expect(out.occurrences.held?.channels).toEqual(['email']);
    expect(out.occurrences.held?.sendAt).toBe('2025-06-11T07:00:00.000Z');
    expect(out.occurrences.soon).toBe(prev.occurrences.soon);
    expect(out.occurrences.pushOnly).toMatchObject({ channels: [], sendAt: null, reason: 'withdrawn' });
    // Nothing lost, nothing changed: the same object back.
    expect(withdrawHeldSends(prev, prev, nowMs)).toBe(prev);
  });
});
