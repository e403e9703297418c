/**
 * The in-memory simulation: a synthetic shop driven through the use cases on a simulated clock, with
 * in-memory stores. Events are ingested at their own time; every 15 simulated minutes the dispatcher
 * evaluates the customers due in the next-due index; messages leave through the relay, as in AWS.
 * Messages that the simulated customers open come back as `MessageEngaged` events.
 */
import type { CampaignFile } from '../functions/domain/campaign.ts';
import type { CustomerState, LedgerEntry } from '../functions/domain/customer-state.ts';
import type { EngineContext } from '../functions/domain/engine.ts';
import { nextDue } from '../functions/domain/engine.ts';
import type { DomainEvent } from '../functions/domain/events.ts';
import { parseEvent } from '../functions/domain/events.ts';
import type { Message } from '../functions/domain/message.ts';
import { relay } from '../functions/domain/relay.ts';
import type { ReplenishmentModel } from '../functions/domain/replenishment.ts';
import { MS_PER_DAY } from '../functions/domain/time.ts';
import type { Ports } from '../functions/use-cases/customer-use-cases.ts';
import { evaluateCustomer, ingestEvent } from '../functions/use-cases/customer-use-cases.ts';
import type { StackUsage } from './embedded/stack.ts';
import { BUCKET_MS, MemoryCustomerStore } from './memory-stores.ts';
import { ModelRefits } from './model-refits.ts';
import type { RejectedRecord, SuppressedRecord } from './run-recorder.ts';
import { RunRecorder } from './run-recorder.ts';
import type { CustomerTruth, ShopEvent } from './sim/synthetic-shop.ts';
import { engagementFor, generateShop } from './sim/synthetic-shop.ts';
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
  /** Messages held past the run's end (embedded runtime). */
  heldAtEnd?: number;
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
  | { ok: false; record: RejectedRecord };

/** A runtime that drives an event source: `runEvents` (in memory) or `runEmbedded` (DynamoDB Local). */
export type Runner = (source: EventSource, options: RunnerOptions) => Promise<SimulationResult>;

export interface RunnerOptions {
  pack: CampaignFile;
  /** The simulated clock starts here; the first dispatcher tick is one bucket later. */
  startMs: number;
  /** The last dispatcher tick is at or before this instant. */
  endMs: number;
  refitEveryDays?: number;
  onProgress?: (done: number, total: number) => void;
  /** Called for every message the relay queues (the simulation feeds engagement back through it). */
  onMessage?: (message: Message) => void;
  /** Where the outputs go (default: kept in memory). */
  recorder?: RunRecorder;
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

  // The relay: a consumer of the store's change feed, like the Lambda on the DynamoDB stream.
  store.onChange((oldImage, newImage) => {
    const out = relay(oldImage, newImage, options.pack, new Date(clock).toISOString());
    recorder.customerWritten(oldImage, newImage);
    for (const entry of out.ledger) recorder.bonus(entry);
    for (const m of out.messages) {
      recorder.message(m);
      options.onMessage?.(m);
    }
  });

  const refits = new ModelRefits(clock, options.refitEveryDays);
  const end = options.endMs;
  let seen = 0;
  let watermark = clock;
  for (let tick = clock + BUCKET_MS; tick <= end; tick += BUCKET_MS) {
    while (source.peekAt() < tick) {
      const at = source.peekAt();
      clock = Math.max(clock, at);
      const next = source.next(clock);
      if (next === undefined) break;
      seen++;
      if (seen % 1000 === 0) options.onProgress?.(Math.min(seen, source.total), source.total);
      if (!next.ok) {
        recorder.rejectedInput(next.record);
        continue;
      }
      const event = next.event;
      result.events++;
      refits.observe(event);
      recorder.event(event);
      await ingestEvent(ports, ctx, event, clock);
    }
    clock = tick;
    if (tick >= refits.nextAt) {
      // A new model moves replenishment days: re-index everyone, as the admin reindex does in AWS.
      ctx.model = refits.fit();
      for (const state of store.all()) {
        const due = nextDue(state, ctx, tick);
        await store.setDue(
          state.brand,
          state.customerId,
          state.version,
          due === null ? null : Math.max(due, tick),
        );
      }
    }
    // The dispatcher reads the buckets after its watermark up to now, as the dispatch Lambda does.
    const due = await store.due(watermark, tick);
    watermark = tick;
    for (const { brand, customerId } of due) {
      result.evaluations++;
      await evaluateCustomer(ports, ctx, brand, customerId, tick);
    }
  }
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
  return result;
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
  let engagementSeq = 0;
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
  const result = await (options.runner ?? runEvents)(source, {
    pack: options.pack,
    startMs,
    endMs: startMs + options.days * MS_PER_DAY,
    ...(options.refitEveryDays === undefined ? {} : { refitEveryDays: options.refitEveryDays }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.recorder === undefined ? {} : { recorder: options.recorder }),
    // Messages the simulated customers open come back as MessageEngaged events.
    onMessage(m) {
      const truth = truthById.get(m.customerId);
      const engaged = truth ? engagementFor(truth, m.messageId, m.sendAt, options.seed) : null;
      if (engaged === null) return;
      queue.push(Date.parse(engaged.at), {
        id: `eng-${options.seed}-${engagementSeq++}`,
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
