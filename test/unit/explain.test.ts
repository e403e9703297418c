/**
 * `loyalty-triggers explain` (local/explain.ts) on a small events file and campaign file: a sent
 * message with the consent that allowed it and the event that granted it, a message never sent for
 * want of consent, a customer in the campaign's holdout, and ids that name no occurrence; and on a
 * simulation's output directory, the run's own messages and suppressions for a customer, reproduced.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdoutBucket } from '../../functions/domain/guardrails.ts';
import type { Explanation } from '../../local/explain/explanation.ts';
import { explainMain } from '../../local/explain.ts';
import { runMemorySimulation } from '../../local/memory-simulation.ts';
import { DEFAULT_PACK } from './fixtures.ts';

const CAMPAIGNS = `version: 1
guardrails:
  globalHoldoutPercent: 0
campaigns:
  - id: first-order
    name: First order thanks
    trigger: { type: milestone, metric: orders, threshold: 1 }
    reward: { points: 100 }
    channels: [push, email]
    priority: 90
    templates:
      en: { subject: Thank you, body: "Thanks for your first order" }
      ru: { subject: Спасибо, body: "Спасибо за первый заказ" }
  - id: second-order-news
    name: News after the second order
    trigger: { type: milestone, metric: orders, threshold: 2 }
    channels: [sms]
    priority: 80
    holdoutPercent: 50
    templates:
      en: { body: "Our news" }
      ru: { body: "Наши новости" }
`;

/** The first `count` customer ids `c-<n>` inside (or outside) second-order-news's 50% holdout. */
function customersWhere(inHoldout: boolean, count: number): string[] {
  const out: string[] = [];
  for (let n = 1; out.length < count; n++) {
    const id = `c-${n}`;
    if (holdoutBucket('default', id, 'second-order-news') < 50 === inHoldout) out.push(id);
  }
  return out;
}

const [ALICE = '', BOB = ''] = customersWhere(false, 2);
const [CAROL = ''] = customersWhere(true, 1);

function event(id: string, type: string, time: string, detail: Record<string, unknown>) {
  return JSON.stringify({ id, source: 'shop', 'detail-type': type, time, detail });
}

function order(id: string, customerId: string, time: string) {
  return event(id, 'OrderPlaced', time, {
    orderId: `o-${id}`,
    customerId,
    currency: 'EUR',
    total: 40,
    lines: [{ sku: 'SKU-1', quantity: 1, unitPrice: 40 }],
  });
}

const EVENTS = [
  // Alice: an email address at registration, the email consent later, one order.
  event('a-1', 'CustomerRegistered', '2026-03-01T10:00:00Z', {
    customerId: ALICE,
    timeZone: 'Europe/Berlin',
    contacts: { email: 'alice@example.com', phone: '+4915112345678' },
  }),
  event('a-2', 'ConsentChanged', '2026-03-02T10:00:00Z', {
    customerId: ALICE,
    channel: 'email',
    granted: true,
  }),
  order('a-3', ALICE, '2026-03-03T12:00:00Z'),
  // Bob: a phone but no consent at all; two orders.
  event('b-1', 'CustomerRegistered', '2026-03-01T11:00:00Z', {
    customerId: BOB,
    timeZone: 'Europe/Berlin',
    contacts: { phone: '+4915199999999' },
    consents: { email: false, sms: false },
  }),
  order('b-2', BOB, '2026-03-04T12:00:00Z'),
  order('b-3', BOB, '2026-03-05T12:00:00Z'),
  // Carol: consents to sms, two orders, but sits in the second-order campaign's holdout.
  event('c-1', 'CustomerRegistered', '2026-03-01T12:00:00Z', {
    customerId: CAROL,
    timeZone: 'Europe/Berlin',
    contacts: { phone: '+4915188888888' },
    consents: { sms: true },
  }),
  order('c-2', CAROL, '2026-03-04T13:00:00Z'),
  order('c-3', CAROL, '2026-03-05T13:00:00Z'),
];

let dir: string;
let eventsFile: string;
let campaignsFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'explain-'));
  eventsFile = join(dir, 'events.jsonl');
  campaignsFile = join(dir, 'campaigns.yaml');
  writeFileSync(eventsFile, `${EVENTS.join('\n')}\n`);
  writeFileSync(campaignsFile, CAMPAIGNS);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await explainMain(args, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

async function explainJson(customer: string, message: string): Promise<{ code: number; e: Explanation }> {
  const r = await run(
    '--events',
    eventsFile,
    '--campaigns',
    campaignsFile,
    '--customer',
    customer,
    '--message',
    message,
    '--json',
  );
  expect(r.err).toBe('');
  return { code: r.code, e: JSON.parse(r.out) as Explanation };
}

describe('explain', () => {
  it('shows a sent message with the consent that allowed it and the event that granted it', async () => {
    const id = `default#${ALICE}#first-order#once#email`;
    const { code, e } = await explainJson(ALICE, id);
    expect(code).toBe(0);
    if (!e.found) throw new Error(e.verdict.summary);
    expect(e.verdict.sent).toBe(true);
    expect(e.status).toBe('issued');
    expect(e.messages.map((m) => m.messageId)).toEqual([id]);
    const d = e.decision;
    expect(d).toMatchObject({
      status: 'issued',
      at: '2026-03-03T12:00:00.000Z',
      cause: { kind: 'event', eventId: 'a-3', detailType: 'OrderPlaced' },
      points: 100,
      channels: ['email'],
      reason: null,
    });
    expect(d.timing).toMatchObject({ sendAt: '2026-03-03T12:00:00.000Z', zone: 'Europe/Berlin' });
    expect(d.timing.quietHours.apply).toBe(false);
    expect(d.timing.frequencyCap.deferred).toBe(false);
    const email = d.consents.find((c) => c.channel === 'email');
    expect(email).toEqual({
      channel: 'email',
      state: 'granted',
      at: '2026-03-02T10:00:00.000Z',
      eventId: 'a-2',
      eventType: 'ConsentChanged',
      address: true,
    });
    expect(d.consents.find((c) => c.channel === 'push')).toMatchObject({ state: 'none', address: false });
    expect(d.holdout.global.member).toBe(false);

    // The text names the granting event, and never an address.
    const text = await run(
      '--events',
      eventsFile,
      '--campaigns',
      campaignsFile,
      '--customer',
      ALICE,
      '--message',
      id,
    );
    expect(text.code).toBe(0);
    expect(text.out).toContain('sent: email at 2026-03-03T12:00:00.000Z');
    expect(text.out).toMatch(/email\s+granted at 2026-03-02T10:00:00.000Z by event a-2 \(ConsentChanged\)/);
    expect(text.out).not.toContain('alice@example.com');
    expect(text.out).not.toContain('+4915112345678');

    // The same occurrence on push: not sent, for want of a push consent.
    const push = await explainJson(ALICE, `default#${ALICE}#first-order#once#push`);
    expect(push.code).toBe(0);
    expect(push.e.verdict).toEqual({
      sent: false,
      summary: 'not sent on push: no push consent on record at decision time',
    });
  });

  it('explains a message never sent for want of consent', async () => {
    const { code, e } = await explainJson(BOB, `default#${BOB}#second-order-news#once#sms`);
    expect(code).toBe(0);
    if (!e.found) throw new Error(e.verdict.summary);
    expect(e.verdict.sent).toBe(false);
    expect(e.decision).toMatchObject({
      status: 'suppressed',
      reason: 'no-consent',
      cause: { kind: 'event', eventId: 'b-3' },
      channels: [],
    });
    expect(e.verdict.summary).toContain('not sent: suppressed (no-consent)');
    expect(e.decision.consents.find((c) => c.channel === 'sms')).toEqual({
      channel: 'sms',
      state: 'denied',
      at: '2026-03-01T11:00:00.000Z',
      eventId: 'b-1',
      eventType: 'CustomerRegistered',
      address: true,
    });
    expect(e.decision.holdout.campaign.member).toBe(false);
    expect(e.messages).toEqual([]);

    // The first-order bonus was credited all the same; its message had no consented channel.
    const bonus = await explainJson(BOB, 'first-order#once');
    if (!bonus.e.found) throw new Error(bonus.e.verdict.summary);
    expect(bonus.e.decision).toMatchObject({
      status: 'issued',
      points: 100,
      reason: 'no-consent',
      channels: [],
    });
    expect(bonus.e.verdict.summary).toMatch(/^reward issued \(100 points\), no message: no-consent/);
  });

  it('explains a customer in the campaign holdout', async () => {
    const { code, e } = await explainJson(CAROL, `default#${CAROL}#second-order-news#once`);
    expect(code).toBe(0);
    if (!e.found) throw new Error(e.verdict.summary);
    expect(e.decision).toMatchObject({ status: 'suppressed', reason: 'holdout' });
    expect(e.decision.holdout.campaign).toMatchObject({ percent: 50, member: true });
    expect(e.decision.holdout.campaign.bucket).toBeLessThan(50);
    expect(e.decision.holdout.global.member).toBe(false);
    // Consent alone would have allowed the message.
    expect(e.decision.consents.find((c) => c.channel === 'sms')).toMatchObject({
      state: 'granted',
      eventId: 'c-1',
    });
    expect(e.verdict.summary).toContain("in the campaign's holdout");
  });

  it('says when an id names no occurrence, and lists the customer’s', async () => {
    const unknownCampaign = await explainJson(ALICE, `default#${ALICE}#no-such-campaign#1#email`);
    expect(unknownCampaign.code).toBe(1);
    expect(unknownCampaign.e.found).toBe(false);
    expect(unknownCampaign.e.verdict.summary).toContain('no campaign "no-such-campaign"');

    const notFired = await explainJson(ALICE, 'second-order-news#once');
    expect(notFired.code).toBe(1);
    if (notFired.e.found) throw new Error('found');
    expect(notFired.e.verdict.summary).toBe(
      'no such occurrence: campaign second-order-news never fired for this customer in the run',
    );
    expect(notFired.e.occurrences.map((o) => o.occurrenceKey)).toEqual([`default#${ALICE}#first-order#once`]);

    const nobody = await explainJson('c-nobody', 'first-order#once');
    expect(nobody.code).toBe(1);
    expect(nobody.e.verdict.summary).toBe('no events for customer c-nobody in the run');
  });

  it('rejects bad usage with exit code 2 and reports missing inputs with 1', async () => {
    const missing = await run('--events', eventsFile, '--message', 'x');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--customer ID is required');
    const both = await run('--events', eventsFile, '--in', dir, '--customer', 'c', '--message', 'x');
    expect(both.code).toBe(2);
    const noFile = await run('--events', join(dir, 'nope.jsonl'), '--customer', 'c', '--message', 'x');
    expect(noFile.code).toBe(1);
    expect(noFile.err).toContain('cannot read the events file');
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('loyalty-triggers explain --customer ID --message ID');
  });

  it('reproduces a simulation run’s messages and suppressions from its directory', async () => {
    const options = { customers: 12, days: 30, seed: 9, start: '2026-02-01T00:00:00.000Z' };
    const result = await runMemorySimulation({ ...options, pack: DEFAULT_PACK });
    const runDir = join(dir, 'sim');
    mkdirSync(runDir);
    writeFileSync(
      join(runDir, 'summary.json'),
      JSON.stringify({ command: 'simulate', runtime: 'memory', ...options }),
    );
    // The customer with the most outputs.
    const counts = new Map<string, number>();
    for (const r of [...result.messages, ...result.suppressed])
      counts.set(r.customerId, (counts.get(r.customerId) ?? 0) + 1);
    const [customer] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? [];
    if (customer === undefined) throw new Error('the run sent nothing');
    const messages = result.messages.filter((m) => m.customerId === customer);
    const suppressed = result.suppressed.filter(
      (r) => r.customerId === customer && !r.reason.startsWith('message:'),
    );
    expect(messages.length + suppressed.length).toBeGreaterThan(1);
    for (const m of messages) {
      const r = await run('--in', runDir, '--customer', customer, '--message', m.messageId, '--json');
      const e = JSON.parse(r.out) as Explanation;
      if (!e.found) throw new Error(`${m.messageId}: ${e.verdict.summary}`);
      expect(e.verdict.sent, m.messageId).toBe(true);
      expect(e.messages.find((x) => x.messageId === m.messageId)).toMatchObject({
        sendAt: m.sendAt,
        createdAt: m.createdAt,
      });
    }
    for (const s of suppressed) {
      const r = await run('--in', runDir, '--customer', customer, '--message', s.occurrenceKey, '--json');
      const e = JSON.parse(r.out) as Explanation;
      if (!e.found) throw new Error(`${s.occurrenceKey}: ${e.verdict.summary}`);
      expect(e.decision, s.occurrenceKey).toMatchObject({ status: 'suppressed', reason: s.reason, at: s.at });
    }
  });
});
