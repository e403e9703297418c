/**
 * The message contract: one SQS body per occurrence and channel. Delivery workers (SES, SNS, FCM …)
 * consume it; its JSON Schema is published in `schemas/message.schema.json`
 * (`npx tsx local/write-message-schema.ts`).
 */
import { z } from 'zod';
import type { Campaign, Guardrails } from './campaign.ts';
import { Channel } from './campaign.ts';
import type { CustomerState, OccurrenceRecord } from './customer-state.ts';
import { CONTACT_FOR_CHANNEL } from './customer-state.ts';
import { pickLocale, renderMessage } from './template.ts';

const Variables = z.record(z.string(), z.union([z.string(), z.number()]));
const Instant = z.iso.datetime();

export const MessageOffer = z.object({
  code: z.string().describe('Coupon code, deterministic per occurrence.'),
  expiresAt: Instant.describe('Last instant the offer can be used (UTC): its conversion window.'),
  discountPercent: z.number().nullable(),
  minBasket: z.number(),
  accrualPercent: z.number().nullable(),
  category: z.string().nullable(),
  pointsOnOrder: z.number().describe('Points credited on a qualifying order inside the window (win-back).'),
});
export type MessageOffer = z.infer<typeof MessageOffer>;

export const Message = z.object({
  /** Occurrence key + channel: delivery workers dedupe on it. */
  messageId: z.string().describe('Occurrence key + "#" + channel: delivery workers deduplicate on it.'),
  occurrenceKey: z.string().describe('brand#customerId#campaignId#occurrence'),
  campaignId: z.string(),
  trigger: z.string(),
  customerId: z.string(),
  brand: z.string(),
  channel: Channel,
  /** The address for the channel: email, E.164 phone or push token. */
  to: z.string().describe('The address for the channel: email, E.164 phone or push token.'),
  locale: z.string(),
  /** Template id: `<campaignId>/<locale>`. */
  template: z.string().describe('Template id: <campaignId>/<locale>.'),
  /** Already personalised values (name, points, balance, offer, product …). */
  variables: Variables.describe('Already personalised values (name, points, balance, offer, product …).'),
  /** The template rendered with the variables, ready to send. */
  content: z.object({ subject: z.string().optional(), body: z.string() }),
  bonus: z.object({ points: z.number(), expiresAt: Instant.nullable() }).optional(),
  offer: MessageOffer.optional(),
  /** Personal offers, best first (personal-offer campaigns). */
  offers: z
    .array(
      z.object({ code: z.string(), category: z.string(), accrualPercent: z.number(), minBasket: z.number() }),
    )
    .optional(),
  /** Earliest allowed delivery time (UTC): after quiet hours and within the frequency cap. */
  sendAt: Instant.describe(
    'Earliest allowed delivery time (UTC): after quiet hours, within the frequency cap.',
  ),
  /** When the message was queued. */
  createdAt: Instant.describe('When the message was queued (UTC).'),
});
export type Message = z.infer<typeof Message>;

/** The JSON Schema of one SQS message body, for the delivery workers outside this project. */
export function messageJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(Message);
  return {
    $schema,
    $id: 'urn:loyalty-triggers:schema:message:v1',
    title: 'loyalty-triggers message',
    description:
      'One SQS message body (one per occurrence and channel) queued by the loyalty-triggers engine. ' +
      'Generated from functions/domain/message.ts by local/write-message-schema.ts: do not edit by hand.',
    ...rest,
  };
}

/** The variables every message carries, from the customer state after issuance. */
export function baseVariables(state: CustomerState): Record<string, string | number> {
  return {
    firstName: state.profile.firstName ?? '',
    balance: state.points.balance,
    tier: state.tier ?? '',
    orders: state.stats.orders,
    spend: state.stats.spend,
    brand: state.brand,
  };
}

/**
 * The messages of one issued occurrence: one per channel it was issued on. Deterministic in
 * (state, occurrence, campaign, createdAt), so a relay can rebuild them from the stored item.
 */
export function buildMessages(
  state: CustomerState,
  occurrenceKey: string,
  occurrence: OccurrenceRecord,
  campaign: Campaign,
  guardrails: Guardrails,
  createdAt: string,
): Message[] {
  if (occurrence.status !== 'issued' || occurrence.sendAt === null || occurrence.channels.length === 0)
    return [];
  const { locale, template } = pickLocale(campaign.templates, state.profile.locale, guardrails.defaultLocale);
  const offer = occurrence.offer;
  const discountPercent = campaign.reward.offer?.discountPercent ?? null;
  // The bonus entry is in the ledger of the image that issued it (the image the relay reads).
  const entry = occurrence.points > 0 ? state.ledger.find((e) => e.entryId === occurrenceKey) : undefined;
  const variables: Record<string, string | number> = { ...baseVariables(state) };
  if (offer) {
    variables.offerCode = offer.code;
    variables.offerExpires = offer.expiresAt.slice(0, 10);
    variables.minBasket = offer.minBasket;
  }
  if (discountPercent !== null) variables.discountPercent = discountPercent;
  if (entry?.expiresAt) variables.expiresOn = entry.expiresAt.slice(0, 10);
  // Values fixed by the trigger (a points bucket's expiresOn, a product, the offers' headline) win.
  Object.assign(variables, occurrence.variables);
  variables.points = occurrence.points || (offer?.pointsOnOrder ?? 0);
  const content = renderMessage(template, variables);
  const messages: Message[] = [];
  for (const channel of occurrence.channels) {
    const to = state.contacts[CONTACT_FOR_CHANNEL[channel]];
    if (to === null) continue;
    const message: Message = {
      messageId: `${occurrenceKey}#${channel}`,
      occurrenceKey,
      campaignId: campaign.id,
      trigger: campaign.trigger.type,
      customerId: state.customerId,
      brand: state.brand,
      channel,
      to,
      locale,
      template: `${campaign.id}/${locale}`,
      variables,
      content:
        content.subject === undefined
          ? { body: content.body }
          : { subject: content.subject, body: content.body },
      sendAt: occurrence.sendAt,
      createdAt,
    };
    if (occurrence.points > 0)
      message.bonus = { points: occurrence.points, expiresAt: entry?.expiresAt ?? null };
    if (offer) {
      message.offer = {
        code: offer.code,
        expiresAt: offer.expiresAt,
        discountPercent,
        minBasket: offer.minBasket,
        accrualPercent: offer.accrualPercent,
        category: offer.category,
        pointsOnOrder: offer.pointsOnOrder,
      };
    }
    if (occurrence.offers.length > 0) message.offers = occurrence.offers.map((o) => ({ ...o }));
    messages.push(message);
  }
  return messages;
}
