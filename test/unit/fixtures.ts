/**
 * Shared test fixtures: shop events built as real EventBridge envelopes and passed through the real
 * schema (`parseEvent`), plus the parsed default campaign pack and the schema defaults.
 *
 * Builders take the event id and time first, so a test states exactly what makes events distinct.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Guardrails, Program } from '../../functions/domain/campaign.ts';
import { CampaignFile } from '../../functions/domain/campaign.ts';
import type { CampaignPack } from '../../functions/domain/campaign-pack.ts';
import { parseCampaignPack } from '../../functions/domain/campaign-pack.ts';
import type { DetailType, DomainEvent } from '../../functions/domain/events.ts';
import { parseEvent } from '../../functions/domain/events.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CUSTOMER_ID = 'c-1';

/** The campaign pack that ships in `campaigns/default.yaml`. */
export const DEFAULT_PACK: CampaignPack = parseCampaignPack(
  readFileSync(join(ROOT, 'campaigns/default.yaml'), 'utf8'),
  'campaigns/default.yaml',
);

/** A campaign file with no campaigns: every program and guardrail setting at its schema default. */
export const SCHEMA_DEFAULTS: CampaignFile = CampaignFile.parse({ version: 1, campaigns: [] });

/** Program settings and guardrails, starting from the schema defaults. */
export function settingsWith(
  program: Partial<Program> = {},
  guardrails: Partial<Guardrails> = {},
): Pick<CampaignFile, 'program' | 'guardrails'> {
  return {
    program: { ...SCHEMA_DEFAULTS.program, ...program },
    guardrails: { ...SCHEMA_DEFAULTS.guardrails, ...guardrails },
  };
}

/** An EventBridge envelope as the shop sends it. */
export function envelope(
  type: DetailType,
  id: string,
  time: string,
  detail: Record<string, unknown>,
): Record<string, unknown> {
  return { id, source: 'shop', 'detail-type': type, time, detail: { customerId: CUSTOMER_ID, ...detail } };
}

/** Parses an envelope with the real schema, `now` just after its time; throws when it is rejected. */
export function toEvent(raw: Record<string, unknown>): DomainEvent {
  const time = typeof raw.time === 'string' ? Date.parse(raw.time) : Number.NaN;
  const result = parseEvent(raw, (Number.isNaN(time) ? 0 : time) + 60_000);
  if (!result.ok) throw new Error(`fixture event rejected: ${result.reason}`);
  return result.event;
}

export function registered(id: string, time: string, detail: Record<string, unknown> = {}): DomainEvent {
  return toEvent(envelope('CustomerRegistered', id, time, detail));
}

export function updated(id: string, time: string, detail: Record<string, unknown>): DomainEvent {
  return toEvent(envelope('CustomerUpdated', id, time, detail));
}

export function consentChanged(
  id: string,
  time: string,
  channel: 'email' | 'sms' | 'push' | 'all',
  granted: boolean,
): DomainEvent {
  return toEvent(envelope('ConsentChanged', id, time, { channel, granted }));
}

export interface LineInput {
  sku: string;
  unitPrice: number;
  quantity?: number;
  category?: string;
}

/** An order line; `quantity` defaults to 1. */
export function line(sku: string, unitPrice: number, category?: string, quantity = 1): LineInput {
  return category === undefined ? { sku, unitPrice, quantity } : { sku, unitPrice, quantity, category };
}

/** An order; `total` defaults to the sum of its lines (rounded to cents), `currency` to EUR. */
export function orderPlaced(
  id: string,
  time: string,
  orderId: string,
  lines: LineInput[],
  extra: Record<string, unknown> = {},
): DomainEvent {
  const sum = lines.reduce((s, l) => s + (l.quantity ?? 1) * l.unitPrice, 0);
  const total = Math.round(sum * 100) / 100;
  const detail = { orderId, currency: 'EUR', total, lines: lines.map((l) => ({ quantity: 1, ...l })) };
  return toEvent(envelope('OrderPlaced', id, time, { ...detail, ...extra }));
}

export function orderCancelled(id: string, time: string, orderId: string): DomainEvent {
  return toEvent(envelope('OrderCancelled', id, time, { orderId }));
}

export function actionCompleted(id: string, time: string, action: string): DomainEvent {
  return toEvent(envelope('ActionCompleted', id, time, { action }));
}

export function messageEngaged(
  id: string,
  time: string,
  kind: 'delivered' | 'opened' | 'clicked',
  messageId = `m-${id}`,
): DomainEvent {
  return toEvent(envelope('MessageEngaged', id, time, { messageId, kind }));
}
