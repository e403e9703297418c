/**
 * Why a message was sent, or why not, from a customer's trace (./trace.ts): the occurrence's decision
 * (issued, suppressed with its reason, converted, clawed back), its send time and channels, the consent
 * per channel at decision time with the event that granted or revoked it, quiet hours and frequency-cap
 * deferral, holdout membership. Pure: no I/O. Never an address or a message text, only whether an
 * address was on file.
 */
import { desiredSendMs } from '../../functions/domain/best-hour.ts';
import type { Campaign, CampaignFile } from '../../functions/domain/campaign.ts';
import type {
  Channel,
  ConsentRecord,
  CustomerState,
  OccurrenceStatus,
} from '../../functions/domain/customer-state.ts';
import { CHANNELS, CONTACT_FOR_CHANNEL } from '../../functions/domain/customer-state.ts';
import type { Decision } from '../../functions/domain/engine.ts';
import { campaignsOf, zoneOf } from '../../functions/domain/engine.ts';
import type { DetailType } from '../../functions/domain/events.ts';
import { hasConsent, holdoutBucket } from '../../functions/domain/guardrails.ts';
import { occurrenceChanges } from '../../functions/domain/occurrence-changes.ts';
import { isQuiet, MS_PER_DAY, MS_PER_HOUR, nextAllowedInstant } from '../../functions/domain/time.ts';
import type { CustomerTrace, Step, StepCause } from './trace.ts';

export interface ConsentView {
  channel: Channel;
  /** The consent on record at decision time: none means never given (no consent). */
  state: 'granted' | 'denied' | 'none';
  at: string | null;
  eventId: string | null;
  eventType: DetailType | null;
  /** Whether an address for the channel was on file (the address itself is never shown). */
  address: boolean;
}

export interface OptOutView {
  state: 'opted-out' | 'opted-in' | 'none';
  at: string | null;
  eventId: string | null;
  eventType: DetailType | null;
}

export interface TimingView {
  zone: string;
  /** When the trigger wanted the message out (the candidate's due time) and the earliest it could go. */
  dueAt: string;
  desiredAt: string;
  /** Last instant the message may go out (desired + the campaign's messageValidityHours). */
  validUntil: string;
  sendAt: string | null;
  /** `sendAt` on the customer's wall clock (YYYY-MM-DD HH:mm). */
  sendAtLocal: string | null;
  quietHours: {
    start: number;
    end: number;
    channels: Channel[];
    /** Whether quiet hours apply to the channels chosen (or, when none were, to the campaign's). */
    apply: boolean;
    /** Whether the desired time fell in them, and the first allowed time after it. */
    desiredWasQuiet: boolean;
    allowedFrom: string | null;
  };
  frequencyCap: {
    count: number;
    days: number;
    /** Whether this campaign counts toward the cap, and whether the cap moved the message later. */
    capped: boolean;
    deferred: boolean;
    /** Other capped sends sharing a cap window with the desired or the chosen time. */
    nearbySends: { occurrenceKey: string; sendAt: string }[];
  };
}

export interface HoldoutView {
  global: { percent: number; bucket: number; member: boolean };
  campaign: { percent: number; bucket: number; member: boolean };
}

export interface DecisionView {
  status: 'issued' | 'suppressed';
  at: string;
  cause: StepCause;
  /** The suppression reason; for an issued reward without a message, why no message went out. */
  reason: string | null;
  reasonText: string | null;
  points: number;
  channels: Channel[];
  timing: TimingView;
  consents: ConsentView[];
  optOut: OptOutView;
  holdout: HoldoutView;
  /** Values fixed at decision time (product, predicted day, threshold …). */
  variables: Record<string, string | number>;
  offer: { code: string; expiresAt: string } | null;
}

export interface HistoryEntry {
  at: string;
  status: OccurrenceStatus;
  cause: StepCause;
  reason: string | null;
  orderId: string | null;
}

export interface MessageView {
  messageId: string;
  channel: Channel;
  sendAt: string;
  createdAt: string;
  template: string;
}

export interface CampaignView {
  id: string;
  name: string;
  trigger: string;
  channels: Channel[];
  delivery: 'first' | 'all';
  priority: number;
  capped: boolean;
  holdoutPercent: number;
  messageValidityHours: number;
}

export interface RunView {
  /** Where the events came from (file, or the simulation's parameters). */
  source: string;
  startAt: string;
  endAt: string;
  /** Valid events in the run, and this customer's. */
  events: number;
  customerEvents: number;
}

export interface Verdict {
  sent: boolean;
  summary: string;
}

export interface OccurrenceSummary {
  occurrenceKey: string;
  status: OccurrenceStatus;
  at: string;
  channels: Channel[];
  reason: string | null;
}

export type Explanation =
  | {
      found: true;
      query: string;
      customerId: string;
      brand: string;
      occurrenceKey: string;
      /** The channel the query named (a message id), null for an occurrence key. */
      channel: Channel | null;
      campaign: CampaignView | null;
      status: OccurrenceStatus;
      decision: DecisionView;
      history: HistoryEntry[];
      messages: MessageView[];
      verdict: Verdict;
      run: RunView;
    }
  | {
      found: false;
      query: string;
      customerId: string;
      brand: string | null;
      occurrenceKey: string | null;
      channel: Channel | null;
      campaign: CampaignView | null;
      /** The customer's occurrences the run decided (to pick the right id from). */
      occurrences: OccurrenceSummary[];
      verdict: Verdict;
      run: RunView;
    };

const iso = (ms: number) => new Date(ms).toISOString();

/** `YYYY-MM-DD HH:mm` on the wall clock of `zone`. */
export function localTime(ms: number, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '??';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

interface Query {
  brand: string;
  localKey: string;
  channel: Channel | null;
}

const CHANNEL_SUFFIX = /#(email|sms|push)$/;

/**
 * The occurrence a query names: a message id (`brand#customer#campaign#occurrence#channel`), an
 * occurrence key (without the channel), or either without the `brand#customer#` prefix.
 */
export function resolveQuery(
  query: string,
  customerId: string,
  brand: string | null,
  known: ReadonlyMap<string, ReadonlySet<string>>,
): Query {
  const brands = brand !== null ? [brand] : [...known.keys()];
  let rest: string | null = null;
  let matchedBrand: string | null = null;
  // Longest brand first: a brand may be the prefix of another.
  for (const b of [...brands].sort((x, y) => y.length - x.length)) {
    const prefix = `${b}#${customerId}#`;
    if (query.startsWith(prefix)) {
      rest = query.slice(prefix.length);
      matchedBrand = b;
      break;
    }
  }
  if (
    rest === null &&
    brand === null &&
    !known.has('default') &&
    query.startsWith(`default#${customerId}#`)
  ) {
    rest = query.slice(`default#${customerId}#`.length);
    matchedBrand = 'default';
  }
  const key = rest ?? query;
  const split = (k: string): { localKey: string; channel: Channel | null } => {
    const m = CHANNEL_SUFFIX.exec(k);
    return m ? { localKey: k.slice(0, m.index), channel: m[1] as Channel } : { localKey: k, channel: null };
  };
  const pickBrand = (localKey: string): string => {
    if (matchedBrand !== null) return matchedBrand;
    for (const b of brands) if (known.get(b)?.has(localKey)) return b;
    return brand ?? brands[0] ?? 'default';
  };
  // A key that is itself an occurrence (its occurrence part might end in "#email") is taken whole.
  for (const b of matchedBrand !== null ? [matchedBrand] : brands) {
    if (known.get(b)?.has(key)) return { brand: b, localKey: key, channel: null };
  }
  const { localKey, channel } = split(key);
  return { brand: pickBrand(localKey), localKey, channel };
}

/** Local occurrence keys the trace decided, per brand. */
export function knownKeys(trace: CustomerTrace): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const step of trace.steps) {
    let keys = out.get(step.brand);
    if (keys === undefined) {
      keys = new Set();
      out.set(step.brand, keys);
    }
    for (const key of Object.keys(step.after.occurrences)) keys.add(key);
    for (const d of step.decisions) keys.add(d.key);
  }
  return out;
}

function campaignView(c: Campaign): CampaignView {
  return {
    id: c.id,
    name: c.name,
    trigger: c.trigger.type,
    channels: [...c.channels],
    delivery: c.delivery,
    priority: c.priority,
    capped: c.capped,
    holdoutPercent: c.holdoutPercent,
    messageValidityHours: c.messageValidityHours,
  };
}

function campaignOf(pack: CampaignFile, brand: string, localKey: string): Campaign | null {
  const id = localKey.split('#')[0] ?? '';
  return campaignsOf(pack, brand).byId.get(id) ?? null;
}

export interface ExplainInput {
  trace: CustomerTrace;
  pack: CampaignFile;
  query: string;
  brand: string | null;
  source: string;
}

export function explain(input: ExplainInput): Explanation {
  const { trace, pack, query } = input;
  const known = knownKeys(trace);
  const q = resolveQuery(query, trace.customerId, input.brand, known);
  const campaign = campaignOf(pack, q.brand, q.localKey);
  const run: RunView = {
    source: input.source,
    startAt: iso(trace.startMs),
    endAt: iso(trace.endMs),
    events: trace.allEvents,
    customerEvents: trace.events.length,
  };
  const steps = trace.steps.filter((s) => s.brand === q.brand);
  const occurrenceKey = `${q.brand}#${trace.customerId}#${q.localKey}`;
  const decided = steps.flatMap((step) =>
    step.decisions
      .filter(
        (d): d is Exclude<Decision, { type: 'Converted' }> => d.key === q.localKey && d.type !== 'Converted',
      )
      .map((decision) => ({ step, decision })),
  );
  const last = decided[decided.length - 1];
  if (last === undefined) return notFound(trace, pack, q, campaign, query, run);

  const history: HistoryEntry[] = [];
  for (const step of steps) {
    for (const change of occurrenceChanges(step.before, step.after)) {
      if (change.occurrenceKey !== occurrenceKey) continue;
      const o = change.occurrence;
      history.push({
        at: iso(step.atMs),
        status: o.status,
        cause: step.cause,
        reason: o.reason,
        orderId: o.orderId,
      });
    }
  }
  const messages: MessageView[] = steps.flatMap((s) =>
    s.messages
      .filter((m) => m.occurrenceKey === occurrenceKey)
      .map((m) => ({
        messageId: m.messageId,
        channel: m.channel,
        sendAt: m.sendAt,
        createdAt: m.createdAt,
        template: m.template,
      })),
  );
  const decision = decisionView(last.step, last.decision, pack, trace);
  const status = history[history.length - 1]?.status ?? decision.status;
  return {
    found: true,
    query,
    customerId: trace.customerId,
    brand: q.brand,
    occurrenceKey,
    channel: q.channel,
    campaign: campaign === null ? null : campaignView(campaign),
    status,
    decision,
    history,
    messages,
    verdict: verdictOf(decision, status, history, messages, q.channel, campaign, last.step),
    run,
  };
}

function eventTypes(trace: CustomerTrace): Map<string, DetailType> {
  return new Map(trace.events.map((e) => [e.id, e.type]));
}

function consentView(
  channel: Channel,
  record: ConsentRecord | null,
  state: CustomerState,
  types: ReadonlyMap<string, DetailType>,
): ConsentView {
  return {
    channel,
    state: record === null ? 'none' : record.granted ? 'granted' : 'denied',
    at: record?.at ?? null,
    eventId: record?.eventId ?? null,
    eventType: record === null ? null : (types.get(record.eventId) ?? null),
    address: state.contacts[CONTACT_FOR_CHANNEL[channel]] !== null,
  };
}

function decisionView(
  step: Step,
  d: Exclude<Decision, { type: 'Converted' }>,
  pack: CampaignFile,
  trace: CustomerTrace,
): DecisionView {
  const state = step.after;
  const types = eventTypes(trace);
  const g = pack.guardrails;
  const c = d.campaign;
  const record = state.occurrences[d.key];
  const reason = d.type === 'Suppressed' ? d.reason : d.messageSuppressed;
  const channels = d.type === 'Issued' ? d.channels : [];
  const sendAtMs = d.type === 'Issued' ? d.sendAtMs : null;
  const zone = zoneOf(state, pack);
  // As the engine computed it (an event-driven campaign with bestHour holds it to the learned hour).
  const desiredMs = desiredSendMs(state, c, d.candidate.dueMs, step.atMs, g.quietHours, zone);
  const windowMs = g.frequencyCap.days * MS_PER_DAY;
  const quietChannels = channels.length > 0 ? channels : c.channels;
  const chosenMs = sendAtMs ?? desiredMs;
  const nearbySends = Object.entries(state.occurrences)
    .filter(([key, o]) => key !== d.key && o.capped && o.sendAt !== null && o.status !== 'suppressed')
    .map(([key, o]) => ({
      occurrenceKey: `${state.brand}#${state.customerId}#${key}`,
      ms: Date.parse(o.sendAt ?? ''),
    }))
    .filter((s) => s.ms > desiredMs - windowMs && s.ms < chosenMs + windowMs)
    .sort((a, b) => a.ms - b.ms)
    .map((s) => ({ occurrenceKey: s.occurrenceKey, sendAt: iso(s.ms) }));
  const desiredWasQuiet = isQuiet(desiredMs, zone, g.quietHours);
  const globalBucket = holdoutBucket(state.brand, state.customerId, 'global');
  const campaignBucket = holdoutBucket(state.brand, state.customerId, c.id);
  const optOut = state.optOut;
  return {
    status: d.type === 'Issued' ? 'issued' : 'suppressed',
    at: iso(step.atMs),
    cause: step.cause,
    reason,
    reasonText: reason === null ? null : reasonText(reason, state, c, pack, step.atMs),
    points: d.type === 'Issued' ? d.candidate.points : 0,
    channels: [...channels],
    timing: {
      zone,
      dueAt: iso(d.candidate.dueMs),
      desiredAt: iso(desiredMs),
      validUntil: iso(desiredMs + c.messageValidityHours * MS_PER_HOUR),
      sendAt: sendAtMs === null ? null : iso(sendAtMs),
      sendAtLocal: sendAtMs === null ? null : localTime(sendAtMs, zone),
      quietHours: {
        start: g.quietHours.start,
        end: g.quietHours.end,
        channels: [...g.quietHours.channels],
        apply: quietChannels.some((ch) => g.quietHours.channels.includes(ch)),
        desiredWasQuiet,
        allowedFrom: desiredWasQuiet ? iso(nextAllowedInstant(desiredMs, zone, g.quietHours)) : null,
      },
      frequencyCap: {
        count: g.frequencyCap.count,
        days: g.frequencyCap.days,
        capped: c.capped,
        deferred: d.type === 'Issued' && d.deferred,
        nearbySends,
      },
    },
    consents: CHANNELS.map((ch) => consentView(ch, state.consents[ch], state, types)),
    optOut: {
      state: optOut === null ? 'none' : optOut.granted ? 'opted-in' : 'opted-out',
      at: optOut?.at ?? null,
      eventId: optOut?.eventId ?? null,
      eventType: optOut === null ? null : (types.get(optOut.eventId) ?? null),
    },
    holdout: {
      global: {
        percent: g.globalHoldoutPercent,
        bucket: globalBucket,
        member: globalBucket < g.globalHoldoutPercent,
      },
      campaign: {
        percent: c.holdoutPercent,
        bucket: campaignBucket,
        member: c.holdoutPercent > 0 && campaignBucket < c.holdoutPercent,
      },
    },
    variables: { ...(record?.variables ?? d.candidate.variables) },
    offer: record?.offer == null ? null : { code: record.offer.code, expiresAt: record.offer.expiresAt },
  };
}

/** A suppression reason in words, with the facts behind it. */
function reasonText(
  reason: string,
  state: CustomerState,
  c: Campaign,
  pack: CampaignFile,
  atMs: number,
): string {
  const g = pack.guardrails;
  switch (reason) {
    case 'holdout-global': {
      const bucket = holdoutBucket(state.brand, state.customerId, 'global');
      return `the customer is in the global holdout (bucket ${bucket.toFixed(2)} < ${g.globalHoldoutPercent}%): the control group gets nothing from any campaign`;
    }
    case 'holdout': {
      const bucket = holdoutBucket(state.brand, state.customerId, c.id);
      return `the customer is in the campaign's holdout (bucket ${bucket.toFixed(2)} < ${c.holdoutPercent}%)`;
    }
    case 'opted-out':
      return `the customer had opted out of all messages (${state.optOut?.at ?? '?'}, event ${state.optOut?.eventId ?? '?'})`;
    case 'no-consent':
      return `no consent on any of the campaign's channels (${c.channels.join(', ') || 'none'}) at decision time`;
    case 'no-address':
      return `consent but no address on file for the campaign's channels (${c.channels.join(', ')})`;
    case 'cap-expired':
      return `the frequency cap (${g.frequencyCap.count} per ${g.frequencyCap.days} days) left no free slot within the message's validity (${c.messageValidityHours} h)`;
    case 'quiet-hours-expired':
      return `quiet hours (${g.quietHours.start}:00–${g.quietHours.end}:00 local for ${g.quietHours.channels.join(', ')}) left no allowed time within the message's validity (${c.messageValidityHours} h)`;
    case 'cooldown': {
      const since = iso(atMs - c.cooldownDays * MS_PER_DAY);
      const earlier = Object.entries(state.occurrences)
        .filter(([, o]) => o.campaignId === c.id && o.status !== 'suppressed' && o.at > since)
        .map(([key]) => key);
      return `the campaign's cooldown (${c.cooldownDays} days) since an earlier occurrence${earlier.length > 0 ? ` (${earlier.join(', ')})` : ''}`;
    }
    case 'action-cap':
      return "the action's cap per period was reached";
    default:
      return reason;
  }
}

const STATUS_WORD: Record<OccurrenceStatus, string> = {
  issued: 'issued',
  suppressed: 'suppressed',
  converted: 'converted',
  'clawed-back': 'clawed back',
};

/** Why a channel the campaign lists did not get a message although the occurrence was issued. */
function channelWhyNot(
  channel: Channel,
  campaign: Campaign | null,
  state: CustomerState,
  chosen: Channel[],
): string {
  if (campaign !== null && !campaign.channels.includes(channel))
    return `the campaign does not send on ${channel} (its channels: ${campaign.channels.join(', ') || 'none'})`;
  if (state.optOut?.granted === false) return 'the customer had opted out of all messages';
  if (!hasConsent(state, channel)) {
    const r = state.consents[channel];
    return r === null
      ? `no ${channel} consent on record at decision time`
      : `${channel} consent was denied at decision time (${r.at}, event ${r.eventId})`;
  }
  if (state.contacts[CONTACT_FOR_CHANNEL[channel]] === null)
    return `no ${CONTACT_FOR_CHANNEL[channel]} on file`;
  if (campaign?.delivery === 'first' && chosen.length > 0)
    return `delivery is "first": the message went out on ${chosen.join(', ')}, earlier in the campaign's fallback order`;
  return `not chosen (channels sent: ${chosen.join(', ') || 'none'})`;
}

function verdictOf(
  d: DecisionView,
  status: OccurrenceStatus,
  history: HistoryEntry[],
  messages: MessageView[],
  channel: Channel | null,
  campaign: Campaign | null,
  step: Step,
): Verdict {
  const after = status === d.status ? '' : ` (now ${STATUS_WORD[status]}${lastOrder(history)})`;
  if (d.status === 'suppressed') {
    return {
      sent: false,
      summary: `not sent: suppressed (${d.reason ?? '?'}): ${d.reasonText ?? ''}${after}`,
    };
  }
  const wanted = channel === null ? messages : messages.filter((m) => m.channel === channel);
  if (wanted.length > 0) {
    const sends = wanted.map((m) => `${m.channel} at ${m.sendAt}`).join(', ');
    return { sent: true, summary: `sent: ${sends}${after}` };
  }
  if (channel !== null && !d.channels.includes(channel)) {
    const why = channelWhyNot(channel, campaign, step.after, d.channels);
    return { sent: false, summary: `not sent on ${channel}: ${why}${after}` };
  }
  if (d.channels.length === 0) {
    const why =
      d.reason === null
        ? 'the campaign sends no message (a silent reward)'
        : `no message: ${d.reason}: ${d.reasonText ?? ''}`;
    return { sent: false, summary: `reward issued (${d.points} points), ${why}${after}` };
  }
  return {
    sent: false,
    summary: `issued for ${d.channels.join(', ')} at ${d.timing.sendAt ?? '?'}, but no message was queued in the run${after}`,
  };
}

function lastOrder(history: HistoryEntry[]): string {
  const order = history[history.length - 1]?.orderId;
  return order == null ? '' : `, order ${order}`;
}

function notFound(
  trace: CustomerTrace,
  pack: CampaignFile,
  q: Query,
  campaign: Campaign | null,
  query: string,
  run: RunView,
): Explanation {
  const occurrences: OccurrenceSummary[] = [];
  const seen = new Set<string>();
  for (const step of [...trace.steps].reverse()) {
    for (const d of step.decisions) {
      const key = `${step.brand}#${trace.customerId}#${d.key}`;
      if (seen.has(key) || d.type === 'Converted') continue;
      seen.add(key);
      occurrences.push({
        occurrenceKey: key,
        status: d.type === 'Issued' ? 'issued' : 'suppressed',
        at: iso(step.atMs),
        channels: d.type === 'Issued' ? [...d.channels] : [],
        reason: d.type === 'Suppressed' ? d.reason : d.messageSuppressed,
      });
    }
  }
  occurrences.reverse();
  const campaignId = q.localKey.split('#')[0] ?? '';
  let summary: string;
  if (trace.events.length === 0) summary = `no events for customer ${trace.customerId} in the run`;
  else if (campaign === null)
    summary = `no such occurrence: no campaign "${campaignId}" in the campaign file${pack.campaigns.length > 0 ? ` (campaigns: ${pack.campaigns.map((c) => c.id).join(', ')})` : ''}`;
  else {
    const same = occurrences.filter((o) =>
      o.occurrenceKey.startsWith(`${q.brand}#${trace.customerId}#${campaign.id}#`),
    );
    summary =
      same.length > 0
        ? `no such occurrence: campaign ${campaign.id} fired for this customer as ${same.map((o) => o.occurrenceKey).join(', ')}`
        : `no such occurrence: campaign ${campaign.id} never fired for this customer in the run`;
  }
  return {
    found: false,
    query,
    customerId: trace.customerId,
    brand: trace.events.length === 0 ? null : q.brand,
    occurrenceKey: `${q.brand}#${trace.customerId}#${q.localKey}`,
    channel: q.channel,
    campaign: campaign === null ? null : campaignView(campaign),
    occurrences,
    verdict: { sent: false, summary },
    run,
  };
}
