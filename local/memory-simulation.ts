/**
 * The in-memory simulation: a synthetic shop driven through the use cases on a simulated clock, with
 * in-memory stores. Events are ingested at their own time; every 15 simulated minutes the dispatcher
 * evaluates the customers due in the next-due index; messages leave through the relay, as in AWS.
 * Messages that the simulated customers open come back as `MessageEngaged` events, and offers they
 * answer as `OrderPlaced` events: the incremental orders whose rate (`offerResponse`) the measurement's
 * holdout comparison has to recover.
 */
import type { CampaignFile } from '../functions/domain/campaign.ts';
import type { CampaignDayStats } from '../functions/domain/campaign-stats.ts';
import { campaignStatsOf } from '../functions/domain/campaign-stats.ts';
import type { CustomerState, LedgerEntry } from '../functions/domain/customer-state.ts';
import type { Decision, EngineContext, Outcome } from '../functions/domain/engine.ts';
import { evaluateScheduled } from '../functions/domain/engine.ts';
import type { DetailType, DomainEvent } from '../functions/domain/events.ts';
import { parseEvent } from '../functions/domain/events.ts';
import type { Message } from '../functions/domain/message.ts';
import { relay } from '../functions/domain/relay.ts';
import type { ReplenishmentModel } from '../functions/domain/replenishment.ts';
import { MS_PER_DAY } from '../functions/domain/time.ts';
import type { ScannedCustomer } from '../functions/ports/customer-scanner.ts';
import { mustHold } from '../functions/ports/message-queue.ts';
import type { Ports } from '../functions/use-cases/customer-use-cases.ts';
import { evaluateCustomer, ingestEvent, sweepCustomer } from '../functions/use-cases/customer-use-cases.ts';
import type { FunctionId } from '../lib/wiring.ts';
import { FUNCTIONS } from '../lib/wiring.ts';
import { MinHeap } from './aws/heap.ts';
import type { ScheduleSpec } from './aws/scheduler.ts';
import { nextOccurrence, parseScheduleExpression, wiringExpression } from './aws/scheduler.ts';
import type { StackUsage } from './embedded/stack.ts';
import { MemoryCampaignStats, MemoryCustomerStore } from './memory-stores.ts';
import { ModelRefits } from './model-refits.ts';
import type { RejectedRecord, SuppressedRecord } from './run-recorder.ts';
import { RunRecorder } from './run-recorder.ts';
import { offerTermsOf, responseBasket } from './sim/offer-response.ts';
import { hash32 } from './sim/random.ts';
import type { CustomerTruth, ShopEvent } from './sim/synthetic-shop.ts';
import { engagementFor, generateShop, responseToOffer } from './sim/synthetic-shop.ts';
import type { RunSummary } from './summary.ts';

export type { RejectedRecord, SuppressedRecord } from './run-recorder.ts';

export interface SimulationOptions {
  customers: number;
  days: number;
  seed: number;
  start: string;
  pack: CampaignFile;
  /** Refit the replenishment model from the purchases seen so far every this many days. */
  refitEveryDays?: number;
  onProgress?: (done: number, total: number) => void;
  /** Where the outputs go (default: kept in memory). */
  recorder?: RunRecorder;
  /** The runtime (default: in memory). */
  runner?: Runner;
}

export interface SimulationResult {
  summary: RunSummary;
  /** The outputs, when the recorder kept them in memory (empty when it streamed them to files). */
  messages: Message[];
  bonuses: LedgerEntry[];
  suppressed: SuppressedRecord[];
  rejected: RejectedRecord[];
  /** How many of each the run produced, kept or streamed. */
  outputs: { messages: number; bonuses: number; suppressed: number; rejected: number };
  events: number;
  customers: number;
  evaluations: number;
  counts: { reads: number; writes: number; conflicts: number; indexWrites: number };
  /** Customer items at the end of the run, and the last replenishment model fitted. */
  states: CustomerState[];
  model: ReplenishmentModel | null;
  endMs: number;
  /** The embedded runtime's request counts per service and function (absent in memory). */
  usage?: StackUsage;
  /** Messages held past the run's end, for a dispatcher run to come: not in `messages`. */
  heldAtEnd?: number;
  /** Those messages (the in-memory runtime lists them; the embedded one counts them). */
  heldMessages?: Message[];
  /** The campaign stats items at the end (`stats.jsonl`), sorted by brand, campaign and day. */
  campaignStats?: CampaignDayStats[];
}

/** The schedule a function's wiring gives it (its first schedule trigger). */
function wiredSchedule(fn: FunctionId): ScheduleSpec {
  const trigger = FUNCTIONS[fn].triggers.find((t) => t.kind === 'schedule');
  if (trigger === undefined) throw new Error(`the wiring gives ${fn} no schedule`);
  return parseScheduleExpression(wiringExpression(trigger));
}

/** A binary min-heap of events by time, so engagement events can join the stream as they happen. */
class EventQueue {
  private readonly heap: { at: number; seq: number; event: ShopEvent }[] = [];
  private seq = 0;

  push(at: number, event: ShopEvent): void {
    const h = this.heap;
    h.push({ at, seq: this.seq++, event });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  peekAt(): number {
    return this.heap[0]?.at ?? Number.POSITIVE_INFINITY;
  }

  pop(): ShopEvent | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined) return undefined;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(l, m)) m = l;
        if (r < h.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top.event;
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a];
    const y = this.heap[b];
    return x !== undefined && y !== undefined && (x.at < y.at || (x.at === y.at && x.seq < y.seq));
  }

  private swap(a: number, b: number): void {
    const x = this.heap[a];
    const y = this.heap[b];
    if (x === undefined || y === undefined) return;
    this.heap[a] = y;
    this.heap[b] = x;
  }
}

/** Where the runner takes its events from: the next event's time, and the next event (parsed or rejected). */
export interface EventSource {
  /** Time of the next event in ms, or +Infinity when there is none (yet). */
  peekAt(): number;
  /** The next event; `clock` is the simulated now at which it is processed. */
  next(clock: number): SourcedEvent | undefined;
  /** How many events the source expects to deliver, for progress. */
  readonly total: number;
}

/** A valid event (with its envelope as received, for runtimes that put it on a bus) or a rejection. */
export type SourcedEvent =
  | { ok: true; event: DomainEvent; raw?: object }
  | { ok: false; record: RejectedRecord; deliver?: object };

/** A runtime that drives an event source: `runEvents` (in memory) or `runEmbedded` (DynamoDB Local). */
export type Runner = (source: EventSource, options: RunnerOptions) => Promise<SimulationResult>;

export interface RunnerOptions {
  pack: CampaignFile;
  /** The simulated clock starts here; the schedules fire from here on. */
  startMs: number;
  /** The last scheduled run is at or before this instant. */
  endMs: number;
  refitEveryDays?: number;
  onProgress?: (done: number, total: number) => void;
  /** Called for every message the relay queues (the simulation feeds engagement back through it). */
  onMessage?: (message: Message) => void;
  /** Where the outputs go (default: kept in memory). */
  recorder?: RunRecorder;
  /** Follows the run step by step (the in-memory runtime only). */
  trace?: RunTrace;
  /**
   * Outputs are recorded from this instant on (messages, ledger entries, suppressions, the summary and
   * the measurement; campaign stats from its UTC day): what happens before it only builds the
   * customers' state — a replay's history before `--from`.
   */
  recordFromMs?: number;
}

/** The campaign stats items of `fromMs`'s UTC day and after (all of them without `fromMs`). */
export function statsFrom(items: CampaignDayStats[], fromMs: number | undefined): CampaignDayStats[] {
  if (fromMs === undefined) return items;
  const day = new Date(fromMs).toISOString().slice(0, 10);
  return items.filter((s) => s.day >= day);
}

/** What made a step of the in-memory run happen. */
export type StepCause =
  | { kind: 'event'; eventId: string; detailType: DetailType; eventTime: string }
  | { kind: 'evaluation' }
  | { kind: 'sweep' };

/** One customer's step: the item before and after, the decisions and the messages the relay queued. */
export interface Step {
  /** The simulated clock when the step ran (ms). */
  atMs: number;
  cause: StepCause;
  brand: string;
  before: CustomerState | null;
  after: CustomerState;
  decisions: readonly Decision[];
  messages: readonly Message[];
}

/** Follows an in-memory run step by step (`explain`). */
export interface RunTrace {
  /** Whether the engine ingests this valid event (false: only the model's refits see it). */
  admit(event: DomainEvent): boolean;
  /** Every step that changed the customer item, decided something or queued a message. */
  step(step: Step): void;
}

/**
 * The shared runner of `simulate` and `replay`: events are ingested at their time (the clock is the
 * event's time); every 15 simulated minutes the dispatcher evaluates the due customers from its
 * watermark; messages and ledger entries leave through the relay on the store's change feed; the
 * replenishment model is refitted from the purchases seen so far every `refitEveryDays` (30) days.
 */
export async function runEvents(source: EventSource, options: RunnerOptions): Promise<SimulationResult> {
  const store = new MemoryCustomerStore();
  const ports: Ports = { store };
  const ctx: EngineContext = { pack: options.pack, model: null };
  const recorder = options.recorder ?? new RunRecorder(options.pack);
  const result: SimulationResult = {
    summary: recorder.summary,
    messages: recorder.messages,
    bonuses: recorder.bonuses,
    suppressed: recorder.suppressed,
    rejected: recorder.rejected,
    outputs: recorder.counts,
    events: 0,
    customers: 0,
    evaluations: 0,
    counts: { reads: 0, writes: 0, conflicts: 0, indexWrites: 0 },
    states: [],
    model: null,
    endMs: options.startMs,
  };
  let clock = options.startMs;
  if (options.recordFromMs !== undefined) recorder.recordFrom(options.recordFromMs, () => clock);

  // The relay: a consumer of the store's change feed, like the Lambda on the DynamoDB stream. A message
  // whose send time is further away than SQS can delay is held, as the relay holds it, and queued by the
  // dispatcher run that releases it (its send time within the next 15 minutes); what is held when the
  // run ends is counted, not queued.
  let queued: Message[] = [];
  const sendMs = (m: Message) => Date.parse(m.sendAt);
  const held = new MinHeap<Message>(
    (a, b) => sendMs(a) < sendMs(b) || (sendMs(a) === sendMs(b) && a.messageId < b.messageId),
  );
  const queue = (m: Message) => {
    recorder.message(m);
    options.onMessage?.(m);
  };
  /** Held messages deleted before their release (a channel's consent or address gone). */
  const withdrawn = new Set<string>();
  const release = (nowMs: number) => {
    for (let m = held.peek(); m !== undefined; m = held.peek()) {
      if (mustHold(m.sendAt, nowMs)) break;
      held.pop();
      if (withdrawn.delete(m.messageId)) continue;
      queue(m);
    }
  };
  const campaignStats = new MemoryCampaignStats();
  store.onChange((oldImage, newImage) => {
    const out = relay(oldImage, newImage, options.pack, new Date(clock).toISOString());
    recorder.customerWritten(oldImage, newImage);
    campaignStats.addNow(campaignStatsOf(oldImage, newImage, out.messages));
    for (const entry of out.ledger) recorder.bonus(entry);
    for (const m of out.messages) {
      queued.push(m);
      if (mustHold(m.sendAt, clock)) held.push(m);
      else queue(m);
    }
    for (const m of out.withdrawn) withdrawn.add(m.messageId);
  });

  // One customer's unit of work; with a trace, its before and after are recorded.
  const trace = options.trace;
  const step = async (brand: string, customerId: string, cause: StepCause, run: () => Promise<Outcome>) => {
    if (trace === undefined) {
      await run();
      return;
    }
    const before = (await store.get(brand, customerId))?.state ?? null;
    queued = [];
    const outcome = await run();
    // Only steps that changed something: a quiet night's sweep or an empty evaluation says nothing.
    if (outcome.state === before && outcome.decisions.length === 0 && queued.length === 0) return;
    const { decisions, state: after } = outcome;
    trace.step({ atMs: clock, cause, brand, before, after, decisions, messages: queued });
  };
  /** The sweep of one scanned item, with the decisions it took when a trace wants them. */
  const sweep = async (scanned: ScannedCustomer, at: number): Promise<Outcome> => {
    const { brand, customerId } = scanned.state;
    // Pure: the decisions the sweep takes on the scanned item, for the trace.
    const decided = trace === undefined ? null : evaluateScheduled(scanned.state, ctx, at);
    await sweepCustomer(ports, ctx, scanned, at);
    if (decided === null) return { state: scanned.state, decisions: [], messages: [], ledger: [] };
    const stored = (await store.get(brand, customerId))?.state ?? scanned.state;
    return { ...decided, state: stored, decisions: stored !== scanned.state ? decided.decisions : [] };
  };

  const refits = new ModelRefits(clock, options.refitEveryDays);
  const end = options.endMs;
  let seen = 0;
  let watermark = clock;
  const ingestUntil = async (limit: (at: number) => boolean) => {
    while (limit(source.peekAt())) {
      clock = Math.max(clock, source.peekAt());
      const next = source.next(clock);
      if (next === undefined) break;
      seen++;
      if (seen % 1000 === 0) options.onProgress?.(Math.min(seen, source.total), source.total);
      if (!next.ok) {
        recorder.rejectedInput(next.record);
        continue;
      }
      const event = next.event;
      refits.observe(event);
      if (trace !== undefined && !trace.admit(event)) continue;
      result.events++;
      recorder.event(event);
      const cause: StepCause = {
        kind: 'event',
        eventId: event.id,
        detailType: event.type,
        eventTime: event.at,
      };
      await step(event.brand, event.customerId, cause, () => ingestEvent(ports, ctx, event, clock));
    }
  };
  // The schedules of the wiring: the dispatcher every 15 minutes (a minute after each bucket), the
  // nightly sweep; a refit of the model every 30 days. Events before an instant are ingested first.
  const dispatchAt = wiredSchedule('dispatch');
  const sweepAt = wiredSchedule('maintenance');
  let nextDispatch = nextOccurrence(dispatchAt, clock);
  let nextSweep = nextOccurrence(sweepAt, clock);
  for (;;) {
    const at = Math.min(nextDispatch, nextSweep, refits.nextAt);
    if (at > end) break;
    await ingestUntil((t) => t < at);
    clock = at;
    if (at === nextSweep) {
      // The sweep reads every item and decides each as the maintenance function does.
      for (const scanned of store.scan()) {
        const { brand, customerId } = scanned.state;
        await step(brand, customerId, { kind: 'sweep' }, () => sweep(scanned, at));
      }
      nextSweep = nextOccurrence(sweepAt, at);
    } else if (at === nextDispatch) {
      // The dispatcher releases the held messages due before its next run (it starts that before it
      // evaluates), and reads the buckets after its watermark up to now, as the dispatch Lambda does.
      release(at);
      const due = await store.due(watermark, at);
      watermark = at;
      for (const { brand, customerId } of due) {
        result.evaluations++;
        await step(brand, customerId, { kind: 'evaluation' }, () =>
          evaluateCustomer(ports, ctx, brand, customerId, at),
        );
      }
      nextDispatch = nextOccurrence(dispatchAt, at);
    } else {
      // A new model moves replenishment days; the next sweep re-indexes the customers it moves.
      ctx.model = refits.fit();
    }
  }
  await ingestUntil((t) => t <= end);
  options.onProgress?.(source.total, source.total);
  result.counts = {
    reads: store.counts.reads,
    writes: store.counts.writes,
    conflicts: store.counts.conflicts,
    indexWrites: store.counts.indexWrites,
  };
  result.states = [...store.all()];
  result.customers = result.states.length;
  result.model = ctx.model;
  result.endMs = end;
  result.campaignStats = statsFrom(await campaignStats.all(), options.recordFromMs);
  result.heldMessages = [];
  for (let m = held.pop(); m !== undefined; m = held.pop())
    if (!withdrawn.has(m.messageId)) result.heldMessages.push(m);
  result.heldAtEnd = result.heldMessages.length;
  return result;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** Days after its send time an occurrence is forgotten by the response dedupe (its channels are long sent). */
const ANSWERED_MEMORY_DAYS = 30;

/**
 * The orders offers cause: one decision per occurrence (its messages on several channels are one offer),
 * through `responseToOffer`; an order that falls inside the run joins the event queue. The envelope and
 * the order share the id `resp-<seed>-<n>`, n a 64-bit hash of the occurrence key: the same whatever
 * order a runtime relays messages in, and never one of the shop's own ids (UUIDs, orders `o…`).
 */
class OfferResponses {
  /** Occurrence keys already answered, with their send time, pruned as the run moves on. */
  private readonly answered = new Map<string, number>();
  private latestSendMs = Number.NEGATIVE_INFINITY;
  private pruneAt = 10_000;

  constructor(
    private readonly truthById: ReadonlyMap<string, CustomerTruth>,
    private readonly queue: EventQueue,
    private readonly seed: number,
    private readonly endMs: number,
  ) {}

  onMessage(m: Message): void {
    const terms = offerTermsOf(m);
    const truth = this.truthById.get(m.customerId);
    if (terms === null || truth === undefined || this.answered.has(m.occurrenceKey)) return;
    const sendMs = Date.parse(m.sendAt);
    this.remember(m.occurrenceKey, sendMs);
    const response = responseToOffer(truth, m.sendAt, this.seed);
    if (!response.orders || response.at === null) return;
    const atMs = Date.parse(response.at);
    if (atMs >= this.endMs) return;
    const basket = responseBasket(truth, terms, m.sendAt, this.seed);
    const key = m.occurrenceKey;
    const id = `resp-${this.seed}-${hex8(hash32(key, 0x0ff3))}${hex8(hash32(key, 0x5e11))}`;
    const detail: Record<string, unknown> = {
      orderId: id,
      customerId: m.customerId,
      placedAt: response.at,
      currency: basket.currency,
      total: basket.total,
      lines: basket.lines,
    };
    if (m.brand !== 'default') detail.brand = m.brand;
    this.queue.push(atMs, {
      id,
      source: 'shop.synthetic',
      'detail-type': 'OrderPlaced',
      time: response.at,
      detail,
    });
  }

  private remember(key: string, sendMs: number): void {
    this.answered.set(key, sendMs);
    if (sendMs > this.latestSendMs) this.latestSendMs = sendMs;
    if (this.answered.size < this.pruneAt) return;
    const before = this.latestSendMs - ANSWERED_MEMORY_DAYS * MS_PER_DAY;
    for (const [k, ms] of this.answered) if (ms < before) this.answered.delete(k);
    this.pruneAt = Math.max(10_000, 2 * this.answered.size);
  }
}

export async function runMemorySimulation(options: SimulationOptions): Promise<SimulationResult> {
  const shop = generateShop({
    customers: options.customers,
    days: options.days,
    seed: options.seed,
    start: options.start,
  });
  const truthById = new Map<string, CustomerTruth>(shop.truth.map((t) => [t.customerId, t]));
  const queue = new EventQueue();
  for (const e of shop.events) queue.push(Date.parse(e.time), e);
  let line = 0;
  const source: EventSource = {
    total: shop.events.length,
    peekAt: () => queue.peekAt(),
    next(clock) {
      const raw = queue.pop();
      if (raw === undefined) return undefined;
      line++;
      const parsed = parseEvent(raw, clock);
      if (parsed.ok) return { ...parsed, raw };
      const { reason, path, rule } = parsed;
      return { ok: false, record: { line, eventId: raw.id, reason, path, rule } };
    },
  };
  const startMs = Date.parse(options.start);
  const endMs = startMs + options.days * MS_PER_DAY;
  const responses = new OfferResponses(truthById, queue, options.seed, endMs);
  const result = await (options.runner ?? runEvents)(source, {
    pack: options.pack,
    startMs,
    endMs,
    ...(options.refitEveryDays === undefined ? {} : { refitEveryDays: options.refitEveryDays }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.recorder === undefined ? {} : { recorder: options.recorder }),
    // Messages the simulated customers open come back as MessageEngaged events; offers they take up
    // come back as orders.
    onMessage(m) {
      responses.onMessage(m);
      const truth = truthById.get(m.customerId);
      const engaged = truth ? engagementFor(truth, m.messageId, m.sendAt, options.seed) : null;
      if (engaged === null) return;
      queue.push(Date.parse(engaged.at), {
        // From the message, not a counter: the same whatever order a runtime relays messages in.
        id: `eng-${options.seed}-${hex8(hash32(m.messageId, 0x0e9a))}${hex8(hash32(m.messageId, 0x6a6e))}`,
        source: 'shop.synthetic',
        'detail-type': 'MessageEngaged',
        time: engaged.at,
        detail: { messageId: m.messageId, customerId: m.customerId, kind: engaged.kind },
      });
    },
  });
  result.customers = shop.truth.length;
  return result;
}
