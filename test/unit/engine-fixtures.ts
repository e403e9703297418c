/**
 * Small builders for the engine, trigger, guardrail and message tests: campaign packs from partial
 * campaigns, customers built through real events (so stats, points and tiers are the reducer's), and an
 * independent oracle for local wall time (Intl, not the code under test).
 */
import type { z } from 'zod';
import type { Campaign, CampaignFile } from '../../functions/domain/campaign.ts';
import {
  CampaignFile as CampaignFileSchema,
  Campaign as CampaignSchema,
} from '../../functions/domain/campaign.ts';
import type { Channel, CustomerState, OccurrenceRecord } from '../../functions/domain/customer-state.ts';
import { DEFAULT_BRAND, emptyState } from '../../functions/domain/customer-state.ts';
import type { EngineContext } from '../../functions/domain/engine.ts';
import type { DomainEvent } from '../../functions/domain/events.ts';
import { parseEvent } from '../../functions/domain/events.ts';
import { apply } from '../../functions/domain/reducer.ts';

export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Templates every messaging campaign needs (the tests read them back). */
export const TEMPLATES = {
  en: { subject: 'Hi {{firstName|friend}}', body: 'EN {{points}} points, code {{offerCode}}' },
  ru: { body: 'RU {{points}} баллов' },
};

/** A campaign as written in a file (defaults optional); the name defaults to the id. */
export type CampaignInput = Omit<z.input<typeof CampaignSchema>, 'name' | 'trigger'> & {
  name?: string;
  /** Typed loosely so tables can build triggers from parts; the schema validates it. */
  trigger: z.input<typeof CampaignSchema>['trigger'] | Record<string, unknown>;
};

/** A campaign with the schema's defaults; messaging campaigns get en/ru templates unless given. */
export function campaign(input: CampaignInput): Campaign {
  const withTemplates =
    input.channels && input.channels.length > 0 && !input.templates ? { templates: TEMPLATES } : {};
  return CampaignSchema.parse({ name: input.id, ...withTemplates, ...input });
}

export interface PackInput {
  campaigns: CampaignInput[];
  /** Guardrail overrides; the global holdout is 0 unless given, so tests choose who is held out. */
  guardrails?: Record<string, unknown>;
  program?: Record<string, unknown>;
}

export function pack(input: PackInput): CampaignFile {
  return CampaignFileSchema.parse({
    version: 1,
    program: input.program ?? {},
    guardrails: { globalHoldoutPercent: 0, ...input.guardrails },
    campaigns: input.campaigns.map((c) => campaign(c)),
  });
}

export function ctxOf(p: CampaignFile): EngineContext {
  return { pack: p, model: null };
}

// ---------------------------------------------------------------------------------------------
// Events

let seq = 0;

/** A normalized event from an EventBridge envelope, through the real parser. */
export function event(type: string, time: string, detail: Record<string, unknown>, id?: string): DomainEvent {
  const envelope = { id: id ?? `evt-${++seq}`, source: 'test', 'detail-type': type, time, detail };
  const parsed = parseEvent(envelope, Date.parse(time));
  if (!parsed.ok) throw new Error(`bad test event: ${parsed.reason}`);
  return parsed.event;
}

export interface OrderInput {
  id: string;
  at: string;
  total: number;
  lines?: { sku: string; category?: string; quantity?: number; unitPrice?: number }[];
  customerId?: string;
}

export function orderEvent(o: OrderInput): DomainEvent {
  const lines = (o.lines ?? [{ sku: 'SKU-1', category: 'coffee' }]).map((l, _i, all) => ({
    sku: l.sku,
    ...(l.category === undefined ? {} : { category: l.category }),
    quantity: l.quantity ?? 1,
    unitPrice: l.unitPrice ?? o.total / all.length,
  }));
  return event('OrderPlaced', o.at, {
    orderId: o.id,
    customerId: o.customerId ?? 'c-1',
    currency: 'EUR',
    total: o.total,
    lines,
  });
}

// ---------------------------------------------------------------------------------------------
// Customers

export interface CustomerInput {
  id?: string;
  brand?: string;
  at?: string;
  timeZone?: string;
  birthday?: string;
  registeredAt?: string;
  locale?: string;
  firstName?: string;
  country?: string;
  city?: string;
  email?: string | null;
  phone?: string | null;
  pushToken?: string | null;
  /** Channels with consent (default: all three). */
  consents?: Channel[];
  optOut?: boolean;
  orders?: OrderInput[];
}

/**
 * A registered customer with contacts and consents, built through the reducer from real events. Every
 * contact exists unless set to null; every channel has consent unless `consents` says otherwise.
 */
export function customer(
  input: CustomerInput = {},
  settings: CampaignFile = pack({ campaigns: [] }),
): CustomerState {
  const id = input.id ?? 'c-1';
  const brand = input.brand ?? DEFAULT_BRAND;
  const at = input.at ?? input.registeredAt ?? '2024-01-01T00:00:00.000Z';
  const consents = input.consents ?? ['email', 'sms', 'push'];
  const contacts: Record<string, string> = {};
  if (input.email !== null) contacts.email = input.email ?? 'alice@example.com';
  if (input.phone !== null) contacts.phone = input.phone ?? '+79990001122';
  if (input.pushToken !== null) contacts.pushToken = input.pushToken ?? 'push-token-1';
  const detail: Record<string, unknown> = {
    customerId: id,
    contacts,
    consents: {
      email: consents.includes('email'),
      sms: consents.includes('sms'),
      push: consents.includes('push'),
    },
  };
  if (brand !== DEFAULT_BRAND) detail.brand = brand;
  for (const k of [
    'timeZone',
    'birthday',
    'registeredAt',
    'locale',
    'firstName',
    'country',
    'city',
  ] as const) {
    if (input[k] !== undefined) detail[k] = input[k];
  }
  let state = apply(emptyState(brand, id), event('CustomerRegistered', at, detail), settings);
  if (input.optOut) {
    state = apply(
      state,
      event('ConsentChanged', at, { customerId: id, channel: 'all', granted: false }),
      settings,
    );
  }
  for (const o of input.orders ?? []) state = apply(state, orderEvent({ customerId: id, ...o }), settings);
  return state;
}

// ---------------------------------------------------------------------------------------------
// Oracle: local wall time from Intl, independent of functions/domain/time.ts

const formats = new Map<string, Intl.DateTimeFormat>();

export function wall(instantMs: number, zone: string): { date: string; hour: number; minute: number } {
  let f = formats.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    formats.set(zone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(instantMs)) parts[p.type] = p.value;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
  };
}

/** Whether the local hour at the instant is inside quiet hours [start, end) (wrapping midnight). */
export function quietAt(instantMs: number, zone: string, start: number, end: number): boolean {
  const { hour } = wall(instantMs, zone);
  return start < end ? hour >= start && hour < end : hour >= start || hour < end;
}

/** UTC offset changes of a zone between two instants, found by scanning hours (with Intl). */
export function transitions(zone: string, fromMs: number, untilMs: number): number[] {
  const offset = (t: number) => {
    const w = wall(t, zone);
    const local = Date.parse(
      `${w.date}T${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}:00Z`,
    );
    return local - Math.floor(t / 60_000) * 60_000;
  };
  const out: number[] = [];
  let prev = offset(fromMs);
  for (let t = fromMs + HOUR; t < untilMs; t += HOUR) {
    const o = offset(t);
    if (o !== prev) out.push(t);
    prev = o;
  }
  return out;
}

/** An occurrence record as the engine stores an issued one (no message sent yet, nothing credited). */
export function occurrenceRecord(
  campaignId: string,
  trigger: string,
  at: string,
  extra: Partial<OccurrenceRecord> = {},
): OccurrenceRecord {
  return {
    campaignId,
    trigger,
    status: 'issued',
    at,
    sendAt: null,
    channels: [],
    points: 0,
    reason: null,
    orderId: null,
    capped: false,
    deferred: false,
    offer: null,
    offers: [],
    variables: {},
    onceEver: false,
    ...extra,
  };
}
