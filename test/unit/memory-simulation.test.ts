/**
 * The in-memory simulation (local/memory-simulation.ts), small: 60 customers over 90 days with the default
 * pack. What leaves the engine is checked against the guardrails, re-derived from the shop's own events
 * (consent and time zone at the time each message was queued) with an Intl oracle for local time.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Channel } from '../../functions/domain/customer-state.ts';
import type { DomainEvent } from '../../functions/domain/events.ts';
import { parseEvent } from '../../functions/domain/events.ts';
import { Message } from '../../functions/domain/message.ts';
import type { SimulationResult } from '../../local/memory-simulation.ts';
import { runMemorySimulation } from '../../local/memory-simulation.ts';
import { generateShop } from '../../local/sim/synthetic-shop.ts';
import { formatTable } from '../../local/summary.ts';
import { DAY, quietAt } from './engine-fixtures.ts';
import { DEFAULT_PACK } from './fixtures.ts';

const OPTIONS = { customers: 60, days: 90, seed: 7, start: '2026-01-01T00:00:00.000Z', pack: DEFAULT_PACK };

let result: SimulationResult;
let again: SimulationResult;

beforeAll(async () => {
  result = await runMemorySimulation(OPTIONS);
  again = await runMemorySimulation(OPTIONS);
});

const customerKey = (m: { brand: string; customerId: string }) => `${m.brand}#${m.customerId}`;

// ---------------------------------------------------------------------------------------------
// An oracle for consent and time zone at an instant, from the shop's events

type Field = Channel | 'optOut' | 'timeZone';
interface Fact {
  /** When the simulation processed the event (its envelope time). */
  processedAt: number;
  /** Last writer wins by event time, then id (the reducer's rule). */
  stamp: string;
  field: Field;
  value: boolean | string;
}

/** Consent and zone facts per customer, from every shop event that sets them. */
function factsByCustomer(): Map<string, Fact[]> {
  const shop = generateShop({
    customers: OPTIONS.customers,
    days: OPTIONS.days,
    seed: OPTIONS.seed,
    start: OPTIONS.start,
  });
  const out = new Map<string, Fact[]>();
  for (const raw of shop.events) {
    const processedAt = Date.parse(raw.time);
    const parsed = parseEvent(raw, processedAt);
    if (!parsed.ok) continue;
    const e: DomainEvent = parsed.event;
    const facts: Fact[] = out.get(customerKey(e)) ?? [];
    out.set(customerKey(e), facts);
    const add = (field: Field, value: boolean | string) =>
      facts.push({ processedAt, stamp: `${e.at}|${e.id}`, field, value });
    if (e.type === 'CustomerRegistered' || e.type === 'CustomerUpdated') {
      for (const ch of ['email', 'sms', 'push'] as const) {
        const granted = e.detail.consents?.[ch];
        if (granted !== undefined) add(ch, granted);
      }
      if (e.detail.timeZone !== undefined) add('timeZone', e.detail.timeZone);
    } else if (e.type === 'ConsentChanged') {
      if (e.detail.channel === 'all') add('optOut', !e.detail.granted);
      else add(e.detail.channel, e.detail.granted);
    }
  }
  return out;
}

/**
 * A field's value as the engine saw it when deciding at `atMs`: the newest (by stamp) of the facts
 * processed before; 'ambiguous' when a fact on that field was processed at that very instant.
 */
function valueAt(facts: Fact[], field: Field, atMs: number): boolean | string | null | 'ambiguous' {
  let best: Fact | null = null;
  for (const f of facts) {
    if (f.field !== field) continue;
    if (f.processedAt === atMs) return 'ambiguous';
    if (f.processedAt < atMs && (best === null || f.stamp > best.stamp)) best = f;
  }
  return best === null ? null : best.value;
}

// ---------------------------------------------------------------------------------------------

describe('runMemorySimulation', () => {
  it('queues messages of many campaigns on every channel (the checks below are not vacuous)', () => {
    expect(result.customers).toBe(60);
    expect(result.messages.length).toBeGreaterThan(100);
    const channels = new Set(result.messages.map((m) => m.channel));
    expect([...channels].toSorted()).toEqual(['email', 'push', 'sms']);
    expect(new Set(result.messages.map((m) => m.campaignId)).size).toBeGreaterThanOrEqual(8);
    expect(result.bonuses.length).toBeGreaterThan(50);
  });

  it('is deterministic: the same seed gives the same messages, ledger and suppressions', () => {
    expect(JSON.stringify(again.messages)).toBe(JSON.stringify(result.messages));
    expect(JSON.stringify(again.bonuses)).toBe(JSON.stringify(result.bonuses));
    expect(JSON.stringify(again.suppressed)).toBe(JSON.stringify(result.suppressed));
    expect(formatTable(again.summary)).toBe(formatTable(result.summary));
  });

  it('queues only messages that parse with the Message schema', () => {
    const bad = result.messages
      .map((m) => ({ id: m.messageId, parsed: Message.safeParse(m) }))
      .filter((x) => !x.parsed.success)
      .map((x) => x.id);
    expect(bad).toEqual([]);
  });

  it('gives every message a unique id, made of its occurrence key and channel', () => {
    const ids = result.messages.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of result.messages) {
      expect(m.messageId).toBe(`${m.occurrenceKey}#${m.channel}`);
      expect(m.occurrenceKey.startsWith(`${customerKey(m)}#${m.campaignId}#`)).toBe(true);
    }
  });

  it('never messages a channel without consent, or a customer opted out, when the message was queued', () => {
    // Prepare
    const facts = factsByCustomer();
    const violations: string[] = [];
    let checked = 0;
    // Act
    for (const m of result.messages) {
      const own = facts.get(customerKey(m)) ?? [];
      const createdAt = Date.parse(m.createdAt);
      const consent = valueAt(own, m.channel, createdAt);
      const optOut = valueAt(own, 'optOut', createdAt);
      if (consent === 'ambiguous' || optOut === 'ambiguous') continue;
      checked++;
      if (consent !== true) violations.push(`${m.messageId}: no ${m.channel} consent at ${m.createdAt}`);
      if (optOut === true) violations.push(`${m.messageId}: opted out at ${m.createdAt}`);
    }
    // Assess
    expect(violations).toEqual([]);
    expect(checked).toBeGreaterThan(result.messages.length * 0.9);
  });

  it('never sets sendAt inside the local quiet hours for sms and push (in the zone of the time)', () => {
    const quiet = DEFAULT_PACK.guardrails.quietHours;
    expect(quiet).toMatchObject({ start: 21, end: 9 });
    expect([...quiet.channels].toSorted()).toEqual(['push', 'sms']);
    const facts = factsByCustomer();
    const violations: string[] = [];
    let checked = 0;
    for (const m of result.messages) {
      if (!quiet.channels.includes(m.channel)) continue;
      const zone = valueAt(facts.get(customerKey(m)) ?? [], 'timeZone', Date.parse(m.createdAt));
      if (zone === 'ambiguous') continue;
      const z = typeof zone === 'string' ? zone : DEFAULT_PACK.guardrails.defaultTimeZone;
      checked++;
      if (quietAt(Date.parse(m.sendAt), z, quiet.start, quiet.end))
        violations.push(`${m.messageId}: ${m.sendAt} is quiet in ${z}`);
    }
    expect(violations).toEqual([]);
    expect(checked).toBeGreaterThan(10);
  });

  it('sends no message before it was queued', () => {
    for (const m of result.messages) expect(m.sendAt >= m.createdAt, m.messageId).toBe(true);
  });

  it('keeps every rolling 7 days of each customer within 2 capped occurrences, by sendAt', () => {
    const { count, days } = DEFAULT_PACK.guardrails.frequencyCap;
    expect({ count, days }).toEqual({ count: 2, days: 7 });
    const capped = new Set(DEFAULT_PACK.campaigns.filter((c) => c.capped).map((c) => c.id));
    // One occurrence counts once, on however many channels it went out.
    const sendsByCustomer = new Map<string, Map<string, number>>();
    for (const m of result.messages) {
      if (!capped.has(m.campaignId)) continue;
      const sends = sendsByCustomer.get(customerKey(m)) ?? new Map<string, number>();
      sendsByCustomer.set(customerKey(m), sends);
      sends.set(m.occurrenceKey, Date.parse(m.sendAt));
    }
    const violations: string[] = [];
    let busiest = 0;
    for (const [who, sends] of sendsByCustomer) {
      const times = [...sends.values()].toSorted((a, b) => a - b);
      for (const start of times) {
        const inWindow = times.filter((t) => t >= start && t < start + days * DAY).length;
        busiest = Math.max(busiest, inWindow);
        if (inWindow > count)
          violations.push(`${who}: ${inWindow} sends from ${new Date(start).toISOString()}`);
      }
    }
    expect(violations).toEqual([]);
    // The cap was reached somewhere, so the check bites.
    expect(busiest).toBe(count);
  });

  it('holds a message whose send time is after the run, as the relay and the dispatcher do', async () => {
    // 30 days of this shop end with one message held (a send time the next morning): the last
    // dispatcher run releases what is due within 15 minutes of it, and the rest stays held, not queued.
    const short = await runMemorySimulation({ ...OPTIONS, days: 30 });
    for (const [r, days] of [
      [short, 30],
      [result, OPTIONS.days],
    ] as const) {
      const endMs = Date.parse(OPTIONS.start) + days * DAY;
      expect(r.messages.filter((m) => Date.parse(m.sendAt) > endMs + 15 * 60_000)).toEqual([]);
    }
    expect(short.heldAtEnd).toBe(1);
    // The held one is due after the last dispatcher run's reach, and was not queued.
    const [heldMessage] = short.heldMessages ?? [];
    const shortEndMs = Date.parse(OPTIONS.start) + 30 * DAY;
    expect(Date.parse(heldMessage?.sendAt ?? '')).toBeGreaterThan(shortEndMs + 15 * 60_000);
    expect(short.messages.map((m) => m.messageId)).not.toContain(heldMessage?.messageId);
  });

  it('writes each ledger entry once per customer, and each bonus under its occurrence key', () => {
    const keys = result.bonuses.map((e) => `${e.brand}#${e.customerId}#${e.entryId}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const e of result.bonuses.filter((x) => x.reason === 'bonus')) {
      expect(e.entryId.startsWith(`${e.brand}#${e.customerId}#${e.campaignId}#`)).toBe(true);
    }
    // The ledger the relay wrote is the ledger the states hold (their bounded tails).
    const written = new Set(keys);
    for (const s of result.states) {
      for (const e of s.ledger) expect(written.has(`${e.brand}#${e.customerId}#${e.entryId}`)).toBe(true);
    }
  });

  it('counts in its summary exactly the messages queued, per campaign and channel', () => {
    const byChannel: Record<Channel, number> = { email: 0, sms: 0, push: 0 };
    const byCampaign = new Map<string, Record<Channel, number>>();
    for (const m of result.messages) {
      byChannel[m.channel]++;
      const row = byCampaign.get(m.campaignId) ?? { email: 0, sms: 0, push: 0 };
      row[m.channel]++;
      byCampaign.set(m.campaignId, row);
    }
    expect(result.summary.totals().messages).toEqual(byChannel);
    for (const row of result.summary.rows()) {
      expect(row.messages, row.campaignId).toEqual(
        byCampaign.get(row.campaignId) ?? { email: 0, sms: 0, push: 0 },
      );
    }
  });

  it('lists every campaign of the pack in the summary table, then the totals', () => {
    const lines = formatTable(result.summary).split('\n');
    for (const c of DEFAULT_PACK.campaigns) {
      expect(
        lines.some((l) => l.startsWith(`${c.id} `)),
        c.id,
      ).toBe(true);
    }
    expect(lines.filter((l) => l.startsWith('TOTAL '))).toHaveLength(1);
    const total = result.summary.totals().messages;
    expect(lines.at(-1)).toMatch(
      new RegExp(`^TOTAL\\s+\\d+\\s+${total.email}\\s+${total.sms}\\s+${total.push}\\s`),
    );
  });
});
