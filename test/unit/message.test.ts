import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CampaignFile } from '../../functions/domain/campaign.ts';
import { parseCampaignPack } from '../../functions/domain/campaign-pack.ts';
import type { CustomerState, OccurrenceRecord } from '../../functions/domain/customer-state.ts';
import { emptyState } from '../../functions/domain/customer-state.ts';
import type { EngineContext, Outcome } from '../../functions/domain/engine.ts';
import { evaluateScheduled, nextDue, processEvent } from '../../functions/domain/engine.ts';
import type { DomainEvent } from '../../functions/domain/events.ts';
import { holdoutBucket } from '../../functions/domain/guardrails.ts';
import type { Message } from '../../functions/domain/message.ts';
import {
  buildMessages,
  Message as MessageSchema,
  messageJsonSchema,
} from '../../functions/domain/message.ts';
import { relay } from '../../functions/domain/relay.ts';
import type { Purchase } from '../../functions/domain/replenishment.ts';
import { fitReplenishmentModel } from '../../functions/domain/replenishment.ts';
import { templateVariables } from '../../functions/domain/template.ts';
import {
  MESSAGE_SCHEMA_PATH,
  messageSchemaIsStale,
  renderMessageSchema,
} from '../../local/write-message-schema.ts';
import { campaign, ctxOf, customer, DAY, event, orderEvent, pack } from './engine-fixtures.ts';
import { occurrenceRecord } from './occurrence-record.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const at = (s: string) => Date.parse(s);

function occurrence(patch: Partial<OccurrenceRecord> = {}): OccurrenceRecord {
  return occurrenceRecord({
    campaignId: 'promo',
    trigger: 'milestone',
    at: '2026-03-02T10:00:00.000Z',
    ...patch,
  });
}

describe('buildMessages', () => {
  const templates = {
    en: { subject: 'Hello {{firstName|friend}}', body: 'EN: {{points}} points' },
    ru: { body: 'RU: {{points}} баллов' },
    'ru-RU': { body: 'RU-RU: {{points}} баллов' },
  };
  const c = campaign({
    id: 'promo',
    trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
    channels: ['email', 'push'],
    templates,
  });
  const guardrails = pack({ campaigns: [] }).guardrails;

  it('follows the contract: one body per channel, id = occurrence key + channel', () => {
    const state = customer({ firstName: 'Anna' });
    const messages = buildMessages(
      state,
      'default#c-1#promo#once',
      occurrence({ channels: ['email', 'push'] }),
      c,
      guardrails,
      '2026-03-02T10:00:01.000Z',
    );
    expect(messages.map((m) => MessageSchema.parse(m))).toEqual(messages);
    expect(messages[0]).toMatchObject({
      messageId: 'default#c-1#promo#once#email',
      occurrenceKey: 'default#c-1#promo#once',
      campaignId: 'promo',
      trigger: 'milestone',
      customerId: 'c-1',
      brand: 'default',
      channel: 'email',
      to: 'alice@example.com',
      locale: 'en',
      template: 'promo/en',
      sendAt: '2026-03-02T10:00:00.000Z',
      createdAt: '2026-03-02T10:00:01.000Z',
      content: { subject: 'Hello Anna', body: 'EN: 0 points' },
    });
    expect(messages[1]).toMatchObject({
      messageId: 'default#c-1#promo#once#push',
      channel: 'push',
      to: 'push-token-1',
    });
  });

  it.each([
    ['ru-RU', 'ru-RU', 'RU-RU: 0 баллов'],
    ['ru-KZ', 'ru', 'RU: 0 баллов'],
    ['ru', 'ru', 'RU: 0 баллов'],
    ['en-GB', 'en', 'EN: 0 points'],
    ['de', 'en', 'EN: 0 points'],
    [null, 'en', 'EN: 0 points'],
  ])('picks the template for locale %s: %s', (locale, expected, body) => {
    const state = customer(locale === null ? {} : { locale });
    const [message] = buildMessages(state, 'k', occurrence(), c, guardrails, '2026-03-02T10:00:00.000Z');
    expect(message?.locale).toBe(expected);
    expect(message?.template).toBe(`promo/${expected}`);
    expect(message?.content.body).toBe(body);
  });

  it('falls back ru-RU → ru → en', () => {
    const onlyRu = campaign({ ...c, templates: { en: templates.en, ru: templates.ru } });
    const onlyEn = campaign({ ...c, templates: { en: templates.en } });
    const state = customer({ locale: 'ru-RU' });
    expect(buildMessages(state, 'k', occurrence(), onlyRu, guardrails, 'x')[0]?.locale).toBe('ru');
    expect(buildMessages(state, 'k', occurrence(), onlyEn, guardrails, 'x')[0]?.locale).toBe('en');
  });

  it('carries sku and predictedAt for a replenishment nudge', () => {
    const restock = campaign({
      id: 'restock',
      trigger: { type: 'replenishment', leadDays: 5 },
      channels: ['email'],
      templates: { en: { body: 'Need {{sku}} around {{predictedAt}}?' }, ru: { body: '{{sku}}' } },
    });
    const occ = occurrence({
      campaignId: 'restock',
      trigger: 'replenishment',
      variables: { sku: 'COFFEE-1', predictedAt: '2026-03-07' },
    });
    const [message] = buildMessages(
      customer(),
      'default#c-1#restock#COFFEE-1#2026-02-05',
      occ,
      restock,
      guardrails,
      'x',
    );
    expect(message?.variables).toMatchObject({ sku: 'COFFEE-1', predictedAt: '2026-03-07' });
    expect(message?.content.body).toBe('Need COFFEE-1 around 2026-03-07?');
  });

  it('carries the bonus with its expiry, and the offer with its code, window and discount', () => {
    const p = pack({
      program: { pointsPerCurrencyUnit: 1 },
      campaigns: [
        {
          id: 'promo',
          trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
          reward: {
            points: 100,
            pointsExpireDays: 30,
            offer: { codePrefix: 'HELLO', discountPercent: 15, validityDays: 14, minBasket: 1500 },
          },
          channels: ['email'],
          templates: {
            en: {
              body: '+{{points}} until {{expiresOn}}; {{discountPercent}}% over {{minBasket}} with {{offerCode}} until {{offerExpires}}',
            },
            ru: { body: '-' },
          },
        },
      ],
    });
    const out = processEvent(
      customer({}, p),
      orderEvent({ id: 'o1', at: '2026-03-02T10:00:00Z', total: 10 }),
      ctxOf(p),
      at('2026-03-02T10:00:00Z'),
    );
    const [message] = out.messages;
    expect(message?.bonus).toEqual({ points: 100, expiresAt: '2026-04-01T00:00:00.000Z' });
    expect(message?.offer).toMatchObject({
      discountPercent: 15,
      minBasket: 1500,
      expiresAt: '2026-03-16T10:00:00.000Z',
      pointsOnOrder: 0,
    });
    expect(message?.offer?.code).toMatch(/^HELLO-[0-9A-Z]{8}$/);
    expect(message?.content.body).toBe(
      `+100 until 2026-04-01; 15% over 1500 with ${message?.offer?.code} until 2026-03-16`,
    );
  });

  it.each<[string, Partial<OccurrenceRecord>]>([
    ['a suppressed occurrence', { status: 'suppressed', reason: 'cap-expired' }],
    ['an occurrence without a send time', { sendAt: null }],
    ['an occurrence without channels', { channels: [] }],
  ])('builds nothing for %s', (_, patch) => {
    expect(buildMessages(customer(), 'k', occurrence(patch), c, guardrails, 'x')).toEqual([]);
  });
});

describe('relay', () => {
  const p = pack({
    program: { pointsPerCurrencyUnit: 1 },
    campaigns: [
      {
        id: 'first',
        trigger: { type: 'milestone', metric: 'orders', threshold: 1 },
        reward: { points: 100 },
        channels: ['push', 'email'],
        delivery: 'all',
      },
      {
        id: 'second',
        trigger: { type: 'milestone', metric: 'orders', threshold: 2 },
        reward: { points: 50 },
        channels: ['email'],
      },
    ],
  });
  const ctx = ctxOf(p);
  const before = customer({}, p);
  const first = processEvent(
    before,
    orderEvent({ id: 'o1', at: '2026-03-02T10:00:00Z', total: 10 }),
    ctx,
    at('2026-03-02T10:00:00Z'),
  );
  const second = processEvent(
    first.state,
    orderEvent({ id: 'o2', at: '2026-03-03T10:00:00Z', total: 10 }),
    ctx,
    at('2026-03-03T10:00:00Z'),
  );

  it('yields the messages of newly issued occurrences and the new ledger entries', () => {
    const out = relay(before, first.state, p, '2026-03-02T10:00:00.000Z');
    expect(out.messages).toEqual(first.messages);
    expect(out.ledger).toEqual(first.ledger);
    expect(out.ledger.map((e) => e.entryId)).toEqual(['order:o1', 'default#c-1#first#once']);
  });

  it('yields only what is new in the second image', () => {
    const out = relay(first.state, second.state, p, '2026-03-03T10:00:00.000Z');
    expect(out.messages.map((m) => m.messageId)).toEqual(['default#c-1#second#once#email']);
    expect(out.ledger.map((e) => e.entryId)).toEqual(['order:o2', 'default#c-1#second#once']);
  });

  it('yields the same messages again for the same images (a redelivered stream record)', () => {
    const a = relay(first.state, second.state, p, '2026-03-03T10:00:00.000Z');
    const b = relay(first.state, second.state, p, '2026-03-03T10:00:00.000Z');
    expect(b).toEqual(a);
  });

  it('yields nothing when nothing changed', () => {
    expect(relay(second.state, second.state, p, 'x')).toEqual({ messages: [], ledger: [], withdrawn: [] });
  });

  it('yields every issued occurrence for a new item (no old image)', () => {
    const out = relay(null, second.state, p, 'x');
    expect(out.messages.map((m) => m.messageId).sort()).toEqual([
      'default#c-1#first#once#email',
      'default#c-1#first#once#push',
      'default#c-1#second#once#email',
    ]);
  });

  it('skips occurrences of a campaign no longer in the pack', () => {
    const without: CampaignFile = { ...p, campaigns: p.campaigns.filter((c) => c.id !== 'second') };
    expect(relay(first.state, second.state, without, 'x').messages).toEqual([]);
  });
});

describe('message JSON Schema', () => {
  it('is generated from the zod schema, with a title', () => {
    const schema = messageJsonSchema();
    expect(schema.title).toBe('loyalty-triggers message');
    expect(schema.type).toBe('object');
    expect(schema.required).toEqual(
      expect.arrayContaining(['messageId', 'occurrenceKey', 'channel', 'to', 'sendAt', 'createdAt']),
    );
  });

  it('matches the committed schemas/message.schema.json', () => {
    const committed = readFileSync(join(ROOT, MESSAGE_SCHEMA_PATH), 'utf8');
    expect(committed).toBe(renderMessageSchema());
    expect(messageSchemaIsStale(ROOT)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// The default pack end to end: every message fills every variable its template uses

describe('default pack messages', () => {
  const DEFAULT = parseCampaignPack(
    readFileSync(join(ROOT, 'campaigns/default.yaml'), 'utf8'),
    'default.yaml',
  );

  /** Customer ids outside the global and every campaign holdout, so every campaign can reach them. */
  function reachable(n: number): string[] {
    const out: string[] = [];
    for (let i = 0; out.length < n; i++) {
      const id = `cust-${i}`;
      const held =
        holdoutBucket('default', id, 'global') < DEFAULT.guardrails.globalHoldoutPercent ||
        DEFAULT.campaigns.some((c) => holdoutBucket('default', id, c.id) < c.holdoutPercent);
      if (!held) out.push(id);
    }
    return out;
  }

  function life(id: string, locale: string, offsetDays: number): DomainEvent[] {
    const day = (d: number, hour = 9) =>
      new Date(at('2025-01-15T00:00:00Z') + (d + offsetDays) * DAY + hour * 3_600_000).toISOString();
    const o = (n: number, d: number, total: number, sku: string, category: string) =>
      orderEvent({ id: `${id}-o${n}`, customerId: id, at: day(d), total, lines: [{ sku, category }] });
    const events: DomainEvent[] = [
      event('CustomerRegistered', day(0, 8), {
        customerId: id,
        firstName: 'Anna',
        birthday: '1990-06-20',
        timeZone: 'Europe/Moscow',
        country: 'RU',
        city: 'Moscow',
        locale,
        contacts: { email: `${id}@example.com`, phone: '+79990001122', pushToken: `tok-${id}` },
        consents: { email: true, sms: true, push: true },
      }),
    ];
    // Monthly coffee (replenishment), trousers (cross-sell), a big order (spend and tiers), then a long
    // break (win-back) and a return; a review and a survey on the way.
    for (let n = 0; n < 6; n++) events.push(o(n, n * 30, 3000, 'COFFEE', 'coffee'));
    events.push(o(10, 40, 4000, 'TROUSERS', 'trousers'));
    events.push(o(11, 150, 60_000, 'LAPTOP', 'laptops'));
    events.push(event('ActionCompleted', day(20), { customerId: id, action: 'review', reference: 'sku-1' }));
    events.push(event('ActionCompleted', day(21), { customerId: id, action: 'survey', reference: 's-1' }));
    events.push(o(12, 520, 5000, 'COFFEE', 'coffee'));
    return events;
  }

  function simulate(ctx: EngineContext, ids: string[]): Message[] {
    const messages: Message[] = [];
    for (const [i, id] of ids.entries()) {
      let state: CustomerState = emptyState('default', id);
      const events = life(id, i % 2 === 0 ? 'ru-RU' : 'en', i * 3);
      let clock = at(events[0]?.at ?? '2025-01-15T00:00:00Z');
      const until = clock + 730 * DAY;
      const take = (out: Outcome) => {
        messages.push(...out.messages);
        state = out.state;
      };
      for (let guard = 0; guard < 2000; guard++) {
        const nextEvent = events[0];
        const due = nextDue(state, ctx, clock);
        if (nextEvent !== undefined && (due === null || at(nextEvent.at) <= due)) {
          events.shift();
          clock = Math.max(clock, at(nextEvent.at));
          take(processEvent(state, nextEvent, ctx, clock));
        } else if (due !== null && due <= until) {
          clock = Math.max(clock, due);
          take(evaluateScheduled(state, ctx, clock));
        } else break;
      }
    }
    return messages;
  }

  const purchases: Purchase[] = [];
  for (let c = 0; c < 40; c++) {
    for (let n = 0; n < 5; n++)
      purchases.push({
        customerId: `pop-${c}`,
        sku: 'COFFEE',
        day: new Date(at('2024-01-01T00:00:00Z') + (c + n * 30) * DAY).toISOString().slice(0, 10),
      });
  }
  const ctx: EngineContext = { pack: DEFAULT, model: fitReplenishmentModel(purchases) };
  const messages = simulate(ctx, reachable(4));

  it('reaches the campaigns whose texts use trigger-specific variables', () => {
    const campaigns = new Set(messages.map((m) => m.campaignId));
    for (const id of [
      'first-order-thank-you',
      'birthday-bonus',
      'cross-sell-after-purchase',
      'personal-offers-weekly',
      'review-reward',
      'win-back-90-days',
      'anniversary-yearly',
      'moscow-free-delivery',
      'points-expiring-30-days',
    ]) {
      expect(campaigns, id).toContain(id);
    }
  });

  it('fills every variable its template uses', () => {
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) {
      const c = DEFAULT.byId.get(m.campaignId);
      const template = c?.templates[m.locale];
      expect(template, m.template).toBeDefined();
      const names = [
        ...templateVariables(template?.body ?? ''),
        ...templateVariables(template?.subject ?? ''),
      ];
      for (const name of names) {
        const value = m.variables[name];
        expect(value === undefined || value === '' ? `${m.campaignId} {{${name}}} is empty` : 'ok').toBe(
          'ok',
        );
      }
      expect(MessageSchema.safeParse(m).success).toBe(true);
    }
  });
});
