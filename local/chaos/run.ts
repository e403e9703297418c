/**
 * The chaos run: a seeded synthetic shop through the embedded stack while everything that can go wrong
 * in AWS does — every event delivered at least twice (the second copy minutes or hours late, after
 * later events), invalid events mixed in, DynamoDB calls throttled, timed out after the write or beaten
 * by a racing writer, functions crashing mid-batch or after the relay's writes, and the SQS consumers
 * running concurrently (one customer ingested and evaluated at once) — then compared with an oracle:
 * the same shop once, in order, with no faults (the in-memory runtime, which decides exactly what the
 * embedded stack decides on clean input, at the same dispatcher and sweep instants).
 *
 * The last day of the run is calm (no faults, no late copies after its end), so retries in flight land
 * before the comparison.
 */
import type { CampaignFile } from '../../functions/domain/campaign.ts';
import type { CampaignCounters, CampaignDayStats } from '../../functions/domain/campaign-stats.ts';
import { campaignDayKey, mergeCampaignStats } from '../../functions/domain/campaign-stats.ts';
import type { Channel, LedgerEntry } from '../../functions/domain/customer-state.ts';
import { ledgerEntryKey } from '../../functions/domain/customer-state.ts';
import type { DomainEvent } from '../../functions/domain/events.ts';
import type { Message } from '../../functions/domain/message.ts';
import { MS_PER_DAY } from '../../functions/domain/time.ts';
import { MinHeap } from '../aws/heap.ts';
import { driveEmbedded } from '../embedded/run.ts';
import { EmbeddedStack } from '../embedded/stack.ts';
import type {
  EventSource,
  RunnerOptions,
  SimulationOptions,
  SimulationResult,
  SourcedEvent,
} from '../memory-simulation.ts';
import { runMemorySimulation } from '../memory-simulation.ts';
import type { RejectedRecord } from '../run-recorder.ts';
import { RunRecorder } from '../run-recorder.ts';
import { Rng } from '../sim/random.ts';
import type { FaultKind } from './faults.ts';
import { FaultInjector } from './faults.ts';

export interface ChaosOptions {
  /** Shop events to generate (approximately: the shop is sized for it). */
  events: number;
  seed: number;
  /** Probability of a fault per DynamoDB call and per function invocation (default 0.05). */
  faultRate?: number;
  /** Simulated days (default 60). */
  days?: number;
  pack: CampaignFile;
  /** Called every 200 deliveries or so. */
  onProgress?: (progress: ChaosProgress) => void;
  /**
   * Customers per page of the due index (default the handlers' 10,000): small, every dispatcher slice
   * of more is a wave, handed on to the maintenance λ over 4 due shards.
   */
  duePageLimit?: number;
}

export interface ChaosProgress {
  /** Deliveries put on the bus so far, and about how many the run will make. */
  deliveries: number;
  expected: number;
  /** Simulated days done, of `days`. */
  day: number;
  days: number;
}

export interface ChaosReport extends MessageCounts {
  events: number;
  deliveries: number;
  customers: number;
  days: number;
  faultRate: number;
  faultsInjected: number;
  faultsByKind: Record<FaultKind, number>;
  duplicateBonuses: number;
  missingBonuses: number;
  statsMismatches: number;
  /** Campaign stats items of the chaos run (compared with the oracle's). */
  statsItems: number;
  messagesWithoutConsent: number;
  capExceeded: number;
  quietHoursViolated: number;
  injectedInvalid: number;
  rejectedUnaccounted: number;
  dlqMessages: number;
  dlqByQueue: Record<string, number>;
  bonuses: number;
  seconds: number;
  /** What each count means. */
  explained: Record<string, string>;
}

export const EXPLAINED: Record<string, string> = {
  events: 'distinct shop events (the oracle ingests each once)',
  deliveries: 'events put on the bus in the chaos run: every event at least twice, plus the invalid ones',
  faultsInjected: 'DynamoDB faults (throttle, timeout after the write, condition race) and function crashes',
  duplicateBonuses:
    'ledger entries the chaos run wrote that the oracle did not (a bonus given twice, or never earned)',
  missingBonuses: 'ledger entries of the oracle the chaos run never wrote',
  statsItems: 'campaign stats items the chaos run wrote (one per campaign and day)',
  statsMismatches:
    'campaigns whose stats counters (but for the timing-dependent `deferred`), summed over their days, differ from the oracle’s, or that only one run has: a window counted twice or lost',
  duplicateMessages:
    'message ids queued by the chaos run that the oracle never queued, plus ids queued again with a different body',
  lostMessages:
    'message ids the oracle queued that the chaos run neither queued nor still holds for a later send',
  changedMessages:
    'messages queued under the oracle’s id with a different content (not only a later send time)',
  delayedMessages:
    'the oracle’s message, decided later because a retry delayed it (its send time and offer expiry moved with it)',
  earlierMessages:
    'the oracle’s message, decided at most one dispatch interval earlier: a retried write or a redelivered batch evaluated the customer again before the oracle’s next tick, and a window the first evaluation’s issuance opened was open then',
  redeliveredMessages:
    'the same message (id and body) queued again after a retry: delivery workers deduplicate on messageId, so the customer gets it once',
  messagesWithoutConsent:
    'messages queued for a channel the customer had not consented to when it was decided',
  capExceeded: 'customers with more capped occurrences in a rolling window than the frequency cap allows',
  quietHoursViolated:
    'messages on a quiet-hours channel whose send time is inside the customer’s local quiet hours',
  rejectedUnaccounted:
    'invalid events put on the bus that reached neither rejected.jsonl nor a dead-letter queue',
  dlqMessages: 'messages left in dead-letter and on-failure queues at the end',
};

const CALM_TAIL_MS = MS_PER_DAY;
/** Events per customer per simulated day in the synthetic shop (about 17 a year, with responses). */
const EVENTS_PER_CUSTOMER_DAY = 0.05;

/** The source's events, each delivered again later, with invalid events mixed in. */
class ChaosSource implements EventSource {
  private readonly later = new MinHeap<{ at: number; seq: number; item: SourcedEvent }>(
    (a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq),
  );
  private seq = 0;
  readonly invalidIds: string[] = [];
  deliveries = 0;

  constructor(
    private readonly inner: EventSource,
    private readonly rng: Rng,
    private readonly rate: number,
    private readonly lastMs: number,
  ) {}

  get total(): number {
    return this.inner.total * 2;
  }

  peekAt(): number {
    return Math.min(this.inner.peekAt(), this.later.peek()?.at ?? Number.POSITIVE_INFINITY);
  }

  next(clock: number): SourcedEvent | undefined {
    const queued = this.later.peek();
    if (queued !== undefined && queued.at <= this.inner.peekAt()) {
      this.later.pop();
      this.deliveries++;
      return queued.item;
    }
    const item = this.inner.next(clock);
    if (item === undefined) return undefined;
    this.deliveries++;
    if (!item.ok || item.raw === undefined) return item;
    const at = Date.parse(item.event.at);
    // A second copy: mostly minutes later, sometimes hours (after later events, out of order).
    const delay = this.rng.chance(0.3) ? this.rng.int(3_600_000, 6 * 3_600_000) : this.rng.int(0, 600_000);
    if (clock + delay < this.lastMs) this.push(clock + delay, item);
    if (this.rng.chance(this.rate / 2) && at < this.lastMs) this.push(clock, this.invalidCopy(item.raw));
    return item;
  }

  private push(at: number, item: SourcedEvent): void {
    this.later.push({ at, seq: this.seq++, item });
  }

  /** The event with its own id and a field no schema accepts. */
  private invalidCopy(raw: object): SourcedEvent {
    const id = `chaos-bad-${this.invalidIds.length}`;
    this.invalidIds.push(id);
    const base = raw as { detail?: Record<string, unknown> };
    const deliver = { ...raw, id, detail: { ...base.detail, customerId: '' } };
    const record: RejectedRecord = { line: null, eventId: id, reason: 'chaos', path: '', rule: '' };
    return { ok: false, record, deliver };
  }
}

interface Fact {
  at: number;
  stamp: string;
  value: boolean | string;
}

/** Consent per channel and time zone per customer, last writer by event time (the reducer's rule). */
class Facts {
  private readonly byKey = new Map<string, Fact[]>();

  add(customerId: string, field: string, event: DomainEvent, value: boolean | string): void {
    const key = `${customerId}|${field}`;
    const list = this.byKey.get(key) ?? [];
    list.push({ at: Date.parse(event.at), stamp: `${event.at}|${event.id}`, value });
    this.byKey.set(key, list);
  }

  observe(event: DomainEvent): void {
    const d = event.detail as Record<string, unknown>;
    if (event.type === 'ConsentChanged') {
      const channel = String(d.channel);
      for (const c of channel === 'all' ? ['email', 'sms', 'push'] : [channel]) {
        this.add(event.customerId, c, event, d.granted === true);
      }
    }
    const consents = d.consents as Partial<Record<Channel, boolean>> | undefined;
    if (consents !== undefined) {
      for (const [c, v] of Object.entries(consents))
        if (v !== undefined) this.add(event.customerId, c, event, v);
    }
    if (typeof d.timeZone === 'string') this.add(event.customerId, 'zone', event, d.timeZone);
  }

  /** The value with the latest stamp among the facts that happened at or before `ms`. */
  at(customerId: string, field: string, ms: number): boolean | string | undefined {
    let best: Fact | undefined;
    for (const f of this.byKey.get(`${customerId}|${field}`) ?? []) {
      if (f.at <= ms && (best === undefined || f.stamp > best.stamp)) best = f;
    }
    return best?.value;
  }
}

/** The dispatcher's rate (lib/wiring.ts): an evaluation retried or redelivered runs before its next tick. */
const DISPATCH_INTERVAL_MS = 15 * 60_000;

/** How the chaos run's messages compare with the oracle's (see EXPLAINED). */
export interface MessageCounts {
  duplicateMessages: number;
  lostMessages: number;
  changedMessages: number;
  delayedMessages: number;
  earlierMessages: number;
  redeliveredMessages: number;
  /** Distinct message ids the chaos run queued. */
  messages: number;
}

export interface MessageComparison extends MessageCounts {
  differences: string[];
}

/**
 * The chaos run's messages against the oracle's: the same ids with the same bodies (the creation
 * instant aside), a message still held at the end counting as queued. A message decided at another
 * instant than the oracle's has every instant derived from that decision moved (send time, offer
 * expiry) and must be the same otherwise: later (a retry delayed it) or at most one dispatch interval
 * earlier (evaluated again before the oracle's next tick). Redeliveries (same id, same body) are
 * counted apart; the same id with another body is a duplicate.
 */
export function compareMessages(
  oracle: readonly Message[],
  chaos: readonly Message[],
  held: ReadonlySet<string>,
): MessageComparison {
  const body = (m: Message) => JSON.stringify({ ...m, createdAt: '' });
  const timeless = (m: Message) =>
    body(m)
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z/g, 'T')
      .replace(/\d{4}-\d{2}-\d{2}/g, 'D');
  const oracleMessages = new Map(oracle.map((m) => [m.messageId, m]));
  const firstBody = new Map<string, string>();
  const out: MessageComparison = {
    duplicateMessages: 0,
    lostMessages: 0,
    changedMessages: 0,
    delayedMessages: 0,
    earlierMessages: 0,
    redeliveredMessages: 0,
    messages: 0,
    differences: [],
  };
  for (const m of chaos) {
    const b = body(m);
    const first = firstBody.get(m.messageId);
    if (first !== undefined) {
      if (first === b) out.redeliveredMessages++;
      else {
        out.duplicateMessages++;
        out.differences.push(`message queued again with another body: ${m.messageId}\n  chaos  ${b}`);
      }
      continue;
    }
    firstBody.set(m.messageId, b);
    const o = oracleMessages.get(m.messageId);
    if (o === undefined) {
      out.duplicateMessages++;
      out.differences.push(`message only in chaos: ${m.messageId}`);
      continue;
    }
    if (body(o) === b) continue;
    const moved = timeless(o) === timeless(m);
    const earlierBy = Date.parse(o.createdAt) - Date.parse(m.createdAt);
    let kind: 'delayed' | 'earlier' | 'changed' = 'changed';
    if (moved && Date.parse(m.sendAt) > Date.parse(o.sendAt)) kind = 'delayed';
    else if (moved && earlierBy > 0 && earlierBy <= DISPATCH_INTERVAL_MS) kind = 'earlier';
    if (kind === 'delayed') out.delayedMessages++;
    else if (kind === 'earlier') out.earlierMessages++;
    else out.changedMessages++;
    out.differences.push(`message ${kind}: ${m.messageId}\n  chaos  ${b}\n  oracle ${body(o)}`);
  }
  for (const id of oracleMessages.keys()) {
    if (!firstBody.has(id) && !held.has(id)) {
      out.lostMessages++;
      out.differences.push(`message only in the oracle: ${id}`);
    }
  }
  out.messages = firstBody.size;
  return out;
}

function localHour(zone: string, ms: number): number {
  const hour = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', hourCycle: 'h23' }).format(
    new Date(ms),
  );
  return Number(hour);
}

/**
 * Counters as a comparable text: zero suppression reasons left out, reasons in order, and without
 * `deferred`, which depends on when a message was decided (see compareStats).
 */
function countersText(c: CampaignCounters): string {
  const suppressed = Object.entries(c.suppressed)
    .filter(([, n]) => n !== 0)
    .sort(([a], [b]) => a.localeCompare(b));
  const { deferred: _timing, ...counts } = c;
  return JSON.stringify({ ...counts, suppressed });
}

/** Each campaign's counters summed over its days, as comparable text by `<brand>#<campaignId>`. */
function totalsByCampaign(stats: readonly CampaignDayStats[]): Map<string, string> {
  const sums = mergeCampaignStats(stats.map((s) => ({ ...s, day: '*' })));
  return new Map(sums.map((s) => [campaignDayKey(s).slice(0, -2), countersText(s.counters)]));
}

/**
 * The chaos run's campaign stats against the oracle's: each campaign's counters, summed over its days,
 * the same. The stats λ counts every record at least once into a window's state and adds each state to
 * the items exactly once, so retries, redeliveries and crashes change nothing here. Two counts depend
 * on when a message was decided, which a retry can delay (the delayed messages): its day, which may be
 * the next (so the sums over a campaign's days are compared, not each day's item), and `deferred`, as
 * the frequency cap may hold a later decision's message back where it did not the oracle's (left out:
 * the chaos run of seed 1 at 20,000 events deferred 17 of 9,891 weekly offers more than the oracle,
 * with 130 delayed messages, every other count equal).
 */
export function compareStats(
  oracle: readonly CampaignDayStats[],
  chaos: readonly CampaignDayStats[],
): { statsMismatches: number; differences: string[] } {
  const mine = totalsByCampaign(chaos);
  const theirs = totalsByCampaign(oracle);
  const differences: string[] = [];
  for (const key of new Set([...mine.keys(), ...theirs.keys()])) {
    const a = mine.get(key);
    const b = theirs.get(key);
    if (a !== b) differences.push(`stats ${key}\n  chaos  ${a ?? '(none)'}\n  oracle ${b ?? '(none)'}`);
  }
  return { statsMismatches: differences.length, differences };
}

/**
 * The oracle's run, of which only what the comparison reads is kept: its customer items (a long run's
 * largest part) would otherwise stay in memory, and in the garbage collector's way, all through the
 * chaos run.
 */
async function runOracle(
  shop: Omit<SimulationOptions, 'recorder' | 'runner'>,
  facts: Facts,
): Promise<Pick<SimulationResult, 'events' | 'bonuses' | 'messages' | 'campaignStats'>> {
  const recorder = new RunRecorder(shop.pack, { observers: [{ event: (e) => facts.observe(e) }] });
  const { events, bonuses, messages, heldMessages, campaignStats } = await runMemorySimulation({
    ...shop,
    recorder,
  });
  // The messages decided, those held past the end too: the chaos run may have queued one of them (a
  // decision moved earlier), and one it holds is not lost.
  return { events, bonuses, messages: [...messages, ...(heldMessages ?? [])], campaignStats };
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = performance.now();
  const rate = options.faultRate ?? 0.05;
  const days = options.days ?? 60;
  // About one registration per customer, then ~17 events a year (orders, consents, actions, responses).
  const customers = Math.max(5, Math.round(options.events / (1 + EVENTS_PER_CUSTOMER_DAY * days)));
  const start = '2026-01-01T00:00:00.000Z';
  const endMs = Date.parse(start) + days * MS_PER_DAY;
  const pack = options.pack;
  const shop = { customers, days, seed: options.seed, start, pack };

  // The oracle: the same shop once, in order, without faults.
  const facts = new Facts();
  const oracle = await runOracle(shop, facts);
  const oracleFirst = new Map<string, Message>();
  for (const m of oracle.messages) if (!oracleFirst.has(m.messageId)) oracleFirst.set(m.messageId, m);

  // The chaos run.
  const injector = new FaultInjector(rate, options.seed ^ 0x5eed);
  const recorder = new RunRecorder(pack);
  let chaosSource: ChaosSource | undefined;
  let heldIds: string[] = [];
  let dlq: Record<string, number> = {};
  const runner = async (source: EventSource, runnerOptions: RunnerOptions) => {
    const stack = await EmbeddedStack.start({
      pack,
      startMs: runnerOptions.startMs,
      recorder,
      prefix: 'lt-chaos',
      ...(options.duePageLimit === undefined ? {} : { duePageLimit: options.duePageLimit, dueShards: 4 }),
      wrapDynamoDb: (client) => injector.attach(client),
      wrapHandler: (fn, handler) => injector.wrap(fn, handler),
      concurrent: true,
      // A message queued again after a retry feeds the simulation's engagement once. The simulated
      // customers answer the message as the oracle queued it: their opens and offer orders are events
      // of both runs, and a retry that only delayed the message (it is keyed and timed by its send
      // time) must not give the chaos run other events to decide on than the oracle had.
      onMessage: (() => {
        const seen = new Set<string>();
        return (m: Message) => {
          if (seen.has(m.messageId)) return;
          seen.add(m.messageId);
          runnerOptions.onMessage?.(oracleFirst.get(m.messageId) ?? m);
        };
      })(),
    });
    injector.active = () => stack.clock.now() < endMs - CALM_TAIL_MS;
    chaosSource = new ChaosSource(source, new Rng(options.seed ^ 0xc4a05), rate, endMs - CALM_TAIL_MS);
    try {
      const result = await driveEmbedded(stack, recorder, chaosSource, {
        ...runnerOptions,
        onProgress: () =>
          options.onProgress?.({
            deliveries: chaosSource?.deliveries ?? 0,
            // Every event of the oracle twice (the last day's once), and the invalid copies.
            expected: Math.round(oracle.events * (2 + rate / 2)),
            day: (stack.clock.now() - runnerOptions.startMs) / MS_PER_DAY,
            days,
          }),
      });
      heldIds = await stack.heldIds();
      dlq = result.usage.deadLetters;
      return result;
    } finally {
      await stack.stop();
    }
  };
  const chaos = await runMemorySimulation({ ...shop, recorder, runner });

  // Bonuses: the same ledger entries, no more, no fewer.
  // Keyed as the ledger table keys them: an entry id is unique only within its customer.
  const oracleBonuses = new Map<string, LedgerEntry>(oracle.bonuses.map((b) => [ledgerEntryKey(b), b]));
  const chaosBonuses = new Map<string, LedgerEntry>(chaos.bonuses.map((b) => [ledgerEntryKey(b), b]));
  let duplicateBonuses = 0;
  const differences: string[] = [];
  for (const [id, b] of chaosBonuses) {
    const o = oracleBonuses.get(id);
    if (o === undefined || o.points !== b.points) {
      duplicateBonuses++;
      differences.push(`bonus only in chaos: ${b.customerId} ${b.entryId} ${b.points}`);
    }
  }
  let missingBonuses = 0;
  for (const [id, o] of oracleBonuses) {
    if (!chaosBonuses.has(id)) {
      missingBonuses++;
      differences.push(`bonus only in the oracle: ${o.customerId} ${o.entryId} ${o.points}`);
    }
  }

  const compared = compareMessages(oracle.messages, chaos.messages, new Set(heldIds));
  differences.push(...compared.differences);
  const stats = compareStats(oracle.campaignStats ?? [], chaos.campaignStats ?? []);
  differences.push(...stats.differences);
  if (process.env.CHAOS_DIFF !== undefined) process.stderr.write(`${differences.join('\n')}\n`);

  // Guardrails on what the chaos run queued.
  const guardrails = pack.guardrails;
  const capped = new Set(pack.campaigns.filter((c) => c.capped).map((c) => c.id));
  let messagesWithoutConsent = 0;
  let quietHoursViolated = 0;
  const capTimes = new Map<string, Map<string, number>>();
  for (const m of chaos.messages) {
    const decided = Date.parse(m.createdAt);
    if (facts.at(m.customerId, m.channel, decided) !== true) messagesWithoutConsent++;
    const zoneFact = facts.at(m.customerId, 'zone', decided);
    const zone = typeof zoneFact === 'string' ? zoneFact : guardrails.defaultTimeZone;
    const q = guardrails.quietHours;
    if (q.channels.includes(m.channel)) {
      const h = localHour(zone, Date.parse(m.sendAt));
      const quiet = q.start > q.end ? h >= q.start || h < q.end : h >= q.start && h < q.end;
      if (quiet) quietHoursViolated++;
    }
    if (capped.has(m.campaignId)) {
      const byOccurrence = capTimes.get(m.customerId) ?? new Map<string, number>();
      byOccurrence.set(m.occurrenceKey, Date.parse(m.sendAt));
      capTimes.set(m.customerId, byOccurrence);
    }
  }
  let capExceeded = 0;
  const windowMs = guardrails.frequencyCap.days * MS_PER_DAY;
  for (const byOccurrence of capTimes.values()) {
    const times = [...byOccurrence.values()].sort((a, b) => a - b);
    for (let i = 0; i + guardrails.frequencyCap.count < times.length; i++) {
      const first = times[i] ?? 0;
      const after = times[i + guardrails.frequencyCap.count] ?? 0;
      if (after - first < windowMs) {
        capExceeded++;
        break;
      }
    }
  }

  const source = chaosSource;
  const rejectedIds = new Set(chaos.rejected.map((r) => r.eventId));
  const invalid = source?.invalidIds ?? [];
  const dlqMessages = Object.values(dlq).reduce((a, b) => a + b, 0);
  const rejectedUnaccounted = invalid.filter((id) => !rejectedIds.has(id)).length;
  return {
    events: oracle.events,
    deliveries: source?.deliveries ?? 0,
    customers,
    days,
    faultRate: rate,
    faultsInjected: injector.total,
    faultsByKind: { ...injector.counts },
    duplicateBonuses,
    missingBonuses,
    statsMismatches: stats.statsMismatches,
    statsItems: chaos.campaignStats?.length ?? 0,
    duplicateMessages: compared.duplicateMessages,
    lostMessages: compared.lostMessages,
    changedMessages: compared.changedMessages,
    delayedMessages: compared.delayedMessages,
    earlierMessages: compared.earlierMessages,
    redeliveredMessages: compared.redeliveredMessages,
    messagesWithoutConsent,
    capExceeded,
    quietHoursViolated,
    injectedInvalid: invalid.length,
    rejectedUnaccounted,
    dlqMessages,
    dlqByQueue: dlq,
    messages: compared.messages,
    bonuses: chaosBonuses.size,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    explained: EXPLAINED,
  };
}
