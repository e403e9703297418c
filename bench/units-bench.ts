/**
 * units.*: DynamoDB request units and SQS calls per triggered message, against the minimum a trigger
 * needs (one read of the customer, one conditional write, a tenth of a SendMessageBatch) — and the
 * measured run the cost benchmark extrapolates from (`measureRun`).
 *
 * The run: a seeded synthetic shop lives `warmupDays` in the in-memory runtime (fast), so its customers
 * carry months of history (item sizes, dormancy, replenishment, points); their items are then written to
 * the embedded stack's DynamoDB Local and the shop goes on for `windowDays` there, through the deployed
 * handlers: bus → ingest → stream → relay → queues, the dispatcher every 15 minutes, the daily sweep.
 * Every step is measured on its own — one event carried to quiescence, or one scheduled invocation with
 * everything it fans out — as the difference of the stack's request counts before and after it.
 *
 * DynamoDB Local reports ConsumedCapacity as the service does for most calls, with two gaps, filled here
 * by DynamoDB's documented rules (Developer Guide, "DynamoDB read and write operations"):
 *  - a read that returns nothing (an empty Query page, a BatchGetItem key that is not there) is billed
 *    the minimum of its kind — 0.5 RRU eventually consistent, 1 strongly consistent — where Local
 *    reports 0: a middleware on the stack's DynamoDB client tops each call up to that minimum;
 *  - a conditional write whose condition fails is billed on the size of the existing item where Local
 *    reports 0: each refused write is counted and priced at the mean write units of a successful
 *    write of the same table and operation in the same run.
 */
// First: the handlers' Powertools logger reads its level when their modules load.
import '../local/embedded/quiet-env.ts';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { itemBytes, writeUnits } from '../functions/adapters/dynamodb/customer-codec.ts';
import { DynamoDbCustomerStore } from '../functions/adapters/dynamodb/customer-store.ts';
import type { TableId } from '../functions/adapters/dynamodb/tables.ts';
import { DynamoDbWatermarkStore } from '../functions/adapters/dynamodb/watermark-store.ts';
import type { CampaignFile } from '../functions/domain/campaign.ts';
import type { CustomerState } from '../functions/domain/customer-state.ts';
import { nextDue } from '../functions/domain/engine.ts';
import { WATERMARK } from '../functions/handlers/dispatch.ts';
import { forEachLimit } from '../functions/shared/pool.ts';
import type { FunctionId } from '../lib/wiring.ts';
import { FUNCTION_IDS, FUNCTIONS } from '../lib/wiring.ts';
import { SimulatedClock } from '../local/aws/clock.ts';
import type { BusEvent } from '../local/aws/eventbridge.ts';
import { DEFAULT_ACCOUNT, DEFAULT_REGION } from '../local/aws/lambda.ts';
import type { QueueCalls } from '../local/aws/sqs.ts';
import type { Invocable, StackUsage } from '../local/embedded/stack.ts';
import { EMBEDDED_DUE_SHARDS, EmbeddedStack } from '../local/embedded/stack.ts';
import type { EventSource, RunnerOptions, SimulationResult } from '../local/memory-simulation.ts';
import { runEvents, runMemorySimulation } from '../local/memory-simulation.ts';
import { RunRecorder } from '../local/run-recorder.ts';
import { loadDefaultPack } from './default-pack.ts';

const DAY_MS = 86_400_000;

/**
 * Round trips a Lambda function waits for, added to the CPU time measured here to model its billed
 * duration in AWS (the wall time here is DynamoDB Local's, on a shared machine: an upper bound).
 * DynamoDB answers in single-digit milliseconds (its product page); SQS sends take somewhat longer.
 */
export const MODEL_LATENCY_MS = { dynamodb: 5, sqs: 10 } as const;

// ---------------------------------------------------------------------------------------------
// What one step (or a sum of steps) cost

export interface OpTally {
  requests: number;
  /** Items carried (batch entries), 1 for a single-item call. */
  entries: number;
  /** Read units billed: reported, topped up to the per-request minimum. */
  readUnits: number;
  /** Write units reported for the successful writes, table and GSI. */
  writeUnits: number;
  indexWriteUnits: number;
  /** Conditional writes refused (billed on the existing item; priced by `billedUnits`). */
  refused: number;
}

export interface StepTally {
  steps: number;
  /** `<Operation>:<table id>` → what those calls cost. */
  ops: Record<string, OpTally>;
  /** Billed SQS requests per queue id: sends, and for a queue a function consumes, its receives and delete batches. */
  sqs: Record<string, number>;
  invocations: Record<FunctionId, number>;
  /** Wall time of the handlers here (against DynamoDB Local). */
  wallMs: Record<FunctionId, number>;
  /** Modeled Lambda duration: CPU time here plus AWS round trips (MODEL_LATENCY_MS), per function. */
  modelMs: Record<FunctionId, number>;
  cpuMs: number;
  eventBridgeEvents: number;
  schedulerInvocations: number;
  /** Bodies queued on the channel queues. */
  messagesQueued: number;
  /** Messages the step's customer writes issued (queued now or held for a later send). */
  messagesIssued: number;
  /** Occurrences issued (with or without a message). */
  occurrencesIssued: number;
}

export function emptyTally(): StepTally {
  const perFunction = () => Object.fromEntries(FUNCTION_IDS.map((f) => [f, 0])) as Record<FunctionId, number>;
  return {
    steps: 0,
    ops: {},
    sqs: {},
    invocations: perFunction(),
    wallMs: perFunction(),
    modelMs: perFunction(),
    cpuMs: 0,
    eventBridgeEvents: 0,
    schedulerInvocations: 0,
    messagesQueued: 0,
    messagesIssued: 0,
    occurrencesIssued: 0,
  };
}

function emptyOp(): OpTally {
  return { requests: 0, entries: 0, readUnits: 0, writeUnits: 0, indexWriteUnits: 0, refused: 0 };
}

/** Adds `b` (times `factor`) into `a`. */
export function addTally(a: StepTally, b: StepTally, factor = 1): StepTally {
  a.steps += b.steps * factor;
  for (const [k, o] of Object.entries(b.ops)) {
    const t = a.ops[k] ?? emptyOp();
    t.requests += o.requests * factor;
    t.entries += o.entries * factor;
    t.readUnits += o.readUnits * factor;
    t.writeUnits += o.writeUnits * factor;
    t.indexWriteUnits += o.indexWriteUnits * factor;
    t.refused += o.refused * factor;
    a.ops[k] = t;
  }
  for (const [q, n] of Object.entries(b.sqs)) a.sqs[q] = (a.sqs[q] ?? 0) + n * factor;
  for (const f of FUNCTION_IDS) {
    a.invocations[f] += b.invocations[f] * factor;
    a.wallMs[f] += b.wallMs[f] * factor;
    a.modelMs[f] += b.modelMs[f] * factor;
  }
  a.cpuMs += b.cpuMs * factor;
  a.eventBridgeEvents += b.eventBridgeEvents * factor;
  a.schedulerInvocations += b.schedulerInvocations * factor;
  a.messagesQueued += b.messagesQueued * factor;
  a.messagesIssued += b.messagesIssued * factor;
  a.occurrencesIssued += b.occurrencesIssued * factor;
  return a;
}

export function scaleTally(t: StepTally, factor: number): StepTally {
  return addTally(emptyTally(), t, factor);
}

/** Mean write units of one successful write, per `<Operation>:<table>`: what a refused one is billed. */
export type RefusedPrice = Record<string, number>;

export interface BilledUnits {
  readUnits: number;
  /** Table and GSI write units, refused conditional writes included. */
  writeUnits: number;
  indexWriteUnits: number;
  sqsRequests: number;
}

export function billedUnits(t: StepTally, refusedPrice: RefusedPrice): BilledUnits {
  let readUnits = 0;
  let writes = 0;
  let indexWriteUnits = 0;
  for (const [k, o] of Object.entries(t.ops)) {
    readUnits += o.readUnits;
    writes += o.writeUnits + o.refused * (refusedPrice[k] ?? 1);
    indexWriteUnits += o.indexWriteUnits;
  }
  const sqsRequests = Object.values(t.sqs).reduce((a, b) => a + b, 0);
  return { readUnits, writeUnits: writes, indexWriteUnits, sqsRequests };
}

/** Request units plus SQS calls: the quantity `units.perMessageVsMinimum` counts. */
export function unitsOf(t: StepTally, refusedPrice: RefusedPrice): number {
  const b = billedUnits(t, refusedPrice);
  return b.readUnits + b.writeUnits + b.sqsRequests;
}

// ---------------------------------------------------------------------------------------------
// Reads topped up to DynamoDB's minimum, per call

interface MinimumReads {
  /** Read units added so far, per `<Operation>:<table name>`. */
  added: Map<string, number>;
}

type Json = Record<string, unknown>;
const isJson = (v: unknown): v is Json => typeof v === 'object' && v !== null;
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * Tops each read call up to the minimum DynamoDB bills for it: a Query or Scan page 0.5 RRU (1 when
 * strongly consistent), each BatchGetItem key 0.5 (1), a GetItem 0.5 (1) — DynamoDB Local reports 0
 * for a read that finds nothing. Runs inside the stack's own recorder, so it sees the consumed
 * capacity the recorder asked for.
 */
function attachMinimumReads(client: DynamoDBClient, into: MinimumReads): void {
  const stack = client.middlewareStack as unknown as {
    add(mw: unknown, options: { step: string; name: string; priority?: string }): void;
  };
  stack.add(
    (next: (args: { input: Json }) => Promise<{ output: Json }>, context: Json) =>
      async (args: { input: Json }) => {
        const result = await next(args);
        const op = String(context.commandName ?? '').replace(/Command$/, '');
        const input = args.input;
        const capacity = result.output.ConsumedCapacity;
        const consumed = new Map<string, number>();
        for (const c of Array.isArray(capacity) ? capacity : capacity === undefined ? [] : [capacity]) {
          if (isJson(c) && typeof c.TableName === 'string')
            consumed.set(c.TableName, (consumed.get(c.TableName) ?? 0) + num(c.CapacityUnits));
        }
        const top = (table: string, minimum: number) => {
          const missing = minimum - (consumed.get(table) ?? 0);
          if (missing > 1e-9)
            into.added.set(`${op}:${table}`, (into.added.get(`${op}:${table}`) ?? 0) + missing);
        };
        const perRead = (consistent: unknown) => (consistent === true ? 1 : 0.5);
        if ((op === 'Query' || op === 'Scan' || op === 'GetItem') && typeof input.TableName === 'string') {
          top(input.TableName, perRead(input.ConsistentRead));
        } else if (op === 'BatchGetItem' && isJson(input.RequestItems)) {
          for (const [table, req] of Object.entries(input.RequestItems)) {
            if (!isJson(req) || !Array.isArray(req.Keys)) continue;
            top(table, req.Keys.length * perRead(req.ConsistentRead));
          }
        }
        return result;
      },
    // Added before the stack's recorder attaches its own: ours runs outside it and sees its output.
    { step: 'initialize', name: 'benchMinimumReads', priority: 'low' },
  );
}

// ---------------------------------------------------------------------------------------------
// Snapshots and their differences

interface Snapshot {
  usage: StackUsage;
  queues: Record<string, QueueCalls & { idleReceives: number }>;
  cpu: NodeJS.CpuUsage;
  minimum: Map<string, number>;
  queued: number;
  issued: number;
  occurrences: number;
}

/** The queue each function consumes through an SQS event source mapping. */
const CONSUMERS: { queue: string; fn: FunctionId }[] = Object.values(FUNCTIONS).flatMap((f) =>
  f.triggers.flatMap((t) => (t.kind === 'sqs' ? [{ queue: t.queue as string, fn: f.id }] : [])),
);

const WRITE_OPERATIONS = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);

function diff(before: Snapshot, after: Snapshot, tableIdOf: Map<string, TableId>): StepTally {
  const t = emptyTally();
  t.steps = 1;
  const prior = new Map(before.usage.dynamodb.operations.map((o) => [`${o.operation}\0${o.resource}`, o]));
  let ddbRequests = 0;
  for (const o of after.usage.dynamodb.operations) {
    const p = prior.get(`${o.operation}\0${o.resource}`);
    const requests = o.requests - (p?.requests ?? 0);
    if (requests === 0) continue;
    ddbRequests += requests;
    const key = `${o.operation}:${tableIdOf.get(o.resource) ?? o.resource}`;
    const op = t.ops[key] ?? emptyOp();
    const sumIndex = (r: Record<string, number> | undefined) =>
      Object.values(r ?? {}).reduce((a, b) => a + b, 0);
    const refused =
      (o.errors.ConditionalCheckFailedException ?? 0) - (p?.errors.ConditionalCheckFailedException ?? 0);
    const topUp =
      (after.minimum.get(`${o.operation}:${o.resource}`) ?? 0) -
      (before.minimum.get(`${o.operation}:${o.resource}`) ?? 0);
    op.requests += requests;
    op.entries += o.entries - (p?.entries ?? 0);
    op.readUnits += o.readUnits - (p?.readUnits ?? 0) + topUp;
    const indexUnits = sumIndex(o.indexUnits) - sumIndex(p?.indexUnits);
    op.writeUnits += o.writeUnits - (p?.writeUnits ?? 0);
    if (WRITE_OPERATIONS.has(o.operation)) op.indexWriteUnits += indexUnits;
    op.refused += refused;
    t.ops[key] = op;
  }
  const d = (f: FunctionId) => ({
    invocations: after.usage.functions[f].invocations - before.usage.functions[f].invocations,
    ms: after.usage.functions[f].ms - before.usage.functions[f].ms,
  });
  for (const f of FUNCTION_IDS) {
    t.invocations[f] = d(f).invocations;
    t.wallMs[f] = d(f).ms;
  }
  let functionSends = 0;
  for (const [queue, calls] of Object.entries(after.queues)) {
    const prev = before.queues[queue];
    const sends =
      calls.sendMessage +
      calls.sendMessageBatch -
      (prev === undefined ? 0 : prev.sendMessage + prev.sendMessageBatch);
    let billed = sends;
    if (queue !== 'ingest') functionSends += sends; // the bus sends to the ingest queue, not a function
    const consumer = CONSUMERS.find((c) => c.queue === queue);
    if (consumer !== undefined) {
      // Lambda's mapping: one ReceiveMessage and one DeleteMessageBatch per batch of up to 10.
      const deleted = calls.deleteMessage - (prev?.deleteMessage ?? 0);
      const batches = Math.max(t.invocations[consumer.fn], Math.ceil(deleted / 10));
      billed += 2 * batches + calls.changeMessageVisibility - (prev?.changeMessageVisibility ?? 0);
    }
    if (billed > 0) t.sqs[queue] = billed;
  }
  t.cpuMs = (after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system) / 1000;
  const wall = FUNCTION_IDS.reduce((n, f) => n + t.wallMs[f], 0);
  const modeled = t.cpuMs + MODEL_LATENCY_MS.dynamodb * ddbRequests + MODEL_LATENCY_MS.sqs * functionSends;
  if (wall > 0) for (const f of FUNCTION_IDS) t.modelMs[f] = (modeled * t.wallMs[f]) / wall;
  t.eventBridgeEvents = after.usage.eventBridge.putEvents - before.usage.eventBridge.putEvents;
  t.schedulerInvocations = after.usage.scheduler.invocations - before.usage.scheduler.invocations;
  t.messagesQueued = after.queued - before.queued;
  t.messagesIssued = after.issued - before.issued;
  t.occurrencesIssued = after.occurrences - before.occurrences;
  return t;
}

/**
 * Moves the stats λ's share of a step (its invocations and time, the stats table's units) into `into`:
 * it runs when a tumbling window closes or a batch has waited its batching window, for the writes of
 * many steps, not for the step that happens to be running.
 */
function takeStatsConsumer(t: StepTally, into: StepTally): void {
  for (const [k, o] of Object.entries(t.ops)) {
    if (!k.endsWith(':stats')) continue;
    addTally(into, { ...emptyTally(), ops: { [k]: o } });
    delete t.ops[k];
  }
  into.invocations.stats += t.invocations.stats;
  into.wallMs.stats += t.wallMs.stats;
  into.modelMs.stats += t.modelMs.stats;
  t.invocations.stats = 0;
  t.wallMs.stats = 0;
  t.modelMs.stats = 0;
}

// ---------------------------------------------------------------------------------------------
// The measured run

export interface MeasuredRunOptions {
  customers?: number;
  warmupDays?: number;
  windowDays?: number;
  seed?: number;
  start?: string;
  pack?: CampaignFile;
}

export interface ItemSizes {
  items: number;
  meanBytes: number;
  p50Bytes: number;
  p90Bytes: number;
  maxBytes: number;
  /** Mean write units of one write of the item (1 per started KB). */
  meanWriteUnits: number;
  /** Share of items a strongly consistent read takes more than 1 RRU for (over 4 KB). */
  overFourKb: number;
}

export interface MeasuredRun {
  customers: number;
  customersAtStart: number;
  customersAtEnd: number;
  warmupDays: number;
  windowDays: number;
  dueShards: number;
  /** Steps by kind: `event:<detail-type>`, `tick` (dispatcher), `sweep`, `timer` (queue timers). */
  byKind: Record<string, StepTally>;
  /** Event steps whose writes issued at least one message. */
  triggerEvents: StepTally;
  /** The mean dispatcher tick that found nothing to do (the fixed cost of the schedule). */
  idleTick: StepTally;
  /**
   * The stats λ over the whole window (steps 0): its stats-table writes, one per (campaign, day) a
   * 15-minute window touched, and its invocations — a cost per window, not per step or message.
   */
  statsConsumer: StepTally;
  /** Campaigns in the pack. */
  campaigns: number;
  /** The stats λ's mapping over the window: tumbling windows closed, invocations, records read. */
  statsWindows: { closed: number; invocations: number; records: number };
  idleTicks: number;
  refusedPrice: RefusedPrice;
  items: ItemSizes;
  seconds: { warmup: number; load: number; window: number };
}

function busEvent(raw: object): BusEvent {
  return {
    version: '0',
    account: DEFAULT_ACCOUNT,
    region: DEFAULT_REGION,
    resources: [],
    ...raw,
  } as unknown as BusEvent;
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

async function itemSizes(client: DynamoDBClient, table: string): Promise<ItemSizes> {
  const sizes: number[] = [];
  let start: Record<string, AttributeValue> | undefined;
  let units = 0;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      sizes.push(itemBytes(item));
      units += writeUnits(item);
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  sizes.sort((a, b) => a - b);
  const n = Math.max(1, sizes.length);
  return {
    items: sizes.length,
    meanBytes: Math.round(sizes.reduce((a, b) => a + b, 0) / n),
    p50Bytes: percentile(sizes, 0.5),
    p90Bytes: percentile(sizes, 0.9),
    maxBytes: sizes[sizes.length - 1] ?? 0,
    meanWriteUnits: Math.round((units / n) * 1000) / 1000,
    overFourKb: Math.round((sizes.filter((s) => s > 4096).length / n) * 10_000) / 10_000,
  };
}

let memo: { key: string; run: Promise<MeasuredRun> } | undefined;

/**
 * The measured run (memoized per options, so `units` and `cost` share one). Defaults: 300 customers,
 * 180 days in memory, then 7 days on the embedded stack; seed 7.
 */
export function measureRun(options: MeasuredRunOptions = {}): Promise<MeasuredRun> {
  const key = JSON.stringify({ ...options, pack: options.pack === undefined ? null : 'custom' });
  if (memo?.key !== key) memo = { key, run: runMeasured(options) };
  return memo.run;
}

async function runMeasured(options: MeasuredRunOptions): Promise<MeasuredRun> {
  const pack = options.pack ?? loadDefaultPack();
  const customers = options.customers ?? 300;
  const warmupDays = options.warmupDays ?? 180;
  const windowDays = options.windowDays ?? 7;
  let measured: MeasuredRun | undefined;

  const runner = async (source: EventSource, run: RunnerOptions): Promise<SimulationResult> => {
    const switchMs = run.endMs - windowDays * DAY_MS;
    const t0 = performance.now();
    // Months of history in memory: the events before the switch (and the engagement they cause).
    const warmSource: EventSource = {
      total: source.total,
      peekAt: () => {
        const at = source.peekAt();
        return at < switchMs ? at : Number.POSITIVE_INFINITY;
      },
      next: (clock) => source.next(clock),
    };
    const warm = await runEvents(warmSource, {
      pack,
      startMs: run.startMs,
      endMs: switchMs,
      ...(run.onMessage === undefined ? {} : { onMessage: run.onMessage }),
      recorder: new RunRecorder(pack),
    });
    const t1 = performance.now();

    // The embedded stack, loaded with those customers' items; their stream records are not relayed or counted
    // (their messages and ledger entries were produced in memory).
    let measuring = false;
    const counters = { queued: 0, issued: 0, occurrences: 0 };
    const minimum: MinimumReads = { added: new Map() };
    const recorder = new RunRecorder(pack, {
      observers: [
        {
          occurrence(change) {
            if (!measuring || change.occurrence.status !== 'issued') return;
            counters.occurrences++;
            if (change.occurrence.sendAt !== null)
              counters.issued += Math.max(1, change.occurrence.channels.length);
          },
        },
      ],
    });
    const clock = new SimulatedClock(switchMs);
    let handlerClient: DynamoDBClient | undefined;
    const stack = await EmbeddedStack.start({
      pack,
      startMs: switchMs,
      recorder,
      clock,
      prefix: 'lt-units',
      onMessage(m) {
        if (!measuring) return;
        counters.queued++;
        run.onMessage?.(m);
      },
      wrapDynamoDb(client) {
        handlerClient = client;
        attachMinimumReads(client, minimum);
        return client;
      },
      wrapHandler(fn, handler): Invocable {
        if (fn !== 'relay' && fn !== 'stats') return handler;
        return (event, context) =>
          measuring ? handler(event, context) : Promise.resolve({ batchItemFailures: [], state: {} });
      },
    });
    try {
      if (handlerClient === undefined)
        throw new Error('the embedded stack did not hand over its DynamoDB client');
      stack.ctx.model = warm.model;
      const store = new DynamoDbCustomerStore({
        client: handlerClient,
        tableName: stack.ddb.names.customers,
        dueTableName: stack.ddb.names.due,
        dueShards: EMBEDDED_DUE_SHARDS,
      });
      // Each item with its due entry, as a first write files it.
      await forEachLimit(warm.states, 8, async (state: CustomerState) => {
        const due = nextDue(state, stack.ctx, switchMs);
        if (!(await store.put(state, 0, due === null ? null : Math.max(due, switchMs), null)))
          throw new Error(`customer ${state.customerId} was written twice`);
      });
      // The dispatcher has been running all along: its watermark stands at the switch (a first run
      // would otherwise read a day back, once).
      await new DynamoDbWatermarkStore(handlerClient, stack.ddb.names.dispatch).advance(
        WATERMARK,
        null,
        switchMs,
      );
      // The loaded items' records pass the stream consumers unread, the stats λ's waiting ones too.
      await stack.closeWindows();
      measuring = true;
      const t2 = performance.now();

      const tableIdOf = new Map<string, TableId>(
        Object.entries(stack.ddb.names).map(([id, name]) => [name, id as TableId]),
      );
      const snapshot = (): Snapshot => ({
        usage: stack.usage(),
        queues: stack.queueCalls(),
        cpu: process.cpuUsage(),
        minimum: new Map(minimum.added),
        queued: counters.queued,
        issued: counters.issued,
        occurrences: counters.occurrences,
      });
      const byKind: Record<string, StepTally> = {};
      const statsConsumer = emptyTally();
      const mappingAtStart = stack.streamMappings().stats;
      const triggerEvents = emptyTally();
      const idle = emptyTally();
      let idleTicks = 0;
      let previous = snapshot();
      const step = async (kind: string, work: () => Promise<unknown>) => {
        await work();
        const now = snapshot();
        const t = diff(previous, now, tableIdOf);
        previous = now;
        takeStatsConsumer(t, statsConsumer);
        if (kind === 'close') return;
        let k = kind;
        if (kind === 'timer') {
          if (t.invocations.dispatch > 0) k = 'tick';
          else if (t.invocations.maintenance > 0) k = 'sweep';
          else if (Object.keys(t.ops).length === 0 && Object.keys(t.sqs).length === 0) return;
        }
        byKind[k] = addTally(byKind[k] ?? emptyTally(), t);
        if (k.startsWith('event:') && t.messagesIssued > 0) addTally(triggerEvents, t);
        if (
          k === 'tick' &&
          t.invocations.evaluate === 0 &&
          t.messagesQueued === 0 &&
          t.ops['BatchWriteItem:held'] === undefined
        ) {
          addTally(idle, t);
          idleTicks++;
        }
      };
      const advanceTimers = async (target: number) => {
        for (let at = clock.nextTimerAt(); at !== null && at <= target; at = clock.nextTimerAt()) {
          const instant = at;
          await step('timer', () => clock.advanceTo(instant));
        }
        if (target > clock.now()) await clock.advanceTo(target);
      };

      const end = run.endMs;
      while (source.peekAt() <= end) {
        await advanceTimers(source.peekAt());
        const next = source.next(clock.now());
        if (next === undefined) break;
        if (!next.ok || next.raw === undefined) continue;
        recorder.event(next.event);
        const raw = next.raw;
        await step(`event:${next.event.type}`, async () => {
          await stack.putEvent(busEvent(raw));
          await stack.settle();
        });
      }
      await advanceTimers(end);
      // The end of the window: the stats λ writes the counts of the windows still open.
      await step('close', () => stack.closeWindows());
      const mappingAtEnd = stack.streamMappings().stats;
      const t3 = performance.now();

      // What a refused conditional write is billed: the mean successful write of the same kind.
      const all = Object.values(byKind).reduce((a, t) => addTally(a, t), emptyTally());
      const refusedPrice: RefusedPrice = {};
      for (const [k, o] of Object.entries(all.ops)) {
        const ok = o.requests - o.refused;
        if (o.writeUnits > 0 && ok > 0) refusedPrice[k] = (o.writeUnits - o.indexWriteUnits) / ok;
      }
      const items = await itemSizes(stack.ddb.client(), stack.ddb.names.customers);
      measured = {
        customers,
        customersAtStart: warm.states.length,
        customersAtEnd: items.items,
        warmupDays,
        windowDays,
        dueShards: EMBEDDED_DUE_SHARDS,
        byKind,
        triggerEvents,
        idleTick: idleTicks === 0 ? emptyTally() : scaleTally(idle, 1 / idleTicks),
        idleTicks,
        statsConsumer,
        campaigns: pack.campaigns.length,
        statsWindows: {
          closed: (mappingAtEnd?.windowsClosed ?? 0) - (mappingAtStart?.windowsClosed ?? 0),
          invocations: (mappingAtEnd?.invocations ?? 0) - (mappingAtStart?.invocations ?? 0),
          records: (mappingAtEnd?.records ?? 0) - (mappingAtStart?.records ?? 0),
        },
        refusedPrice,
        items,
        seconds: {
          warmup: Math.round((t1 - t0) / 100) / 10,
          load: Math.round((t2 - t1) / 100) / 10,
          window: Math.round((t3 - t2) / 100) / 10,
        },
      };
    } finally {
      await stack.stop();
    }
    return { ...warm, endMs: run.endMs };
  };

  await runMemorySimulation({
    customers,
    days: warmupDays + windowDays,
    seed: options.seed ?? 7,
    start: options.start ?? '2025-09-01T00:00:00.000Z',
    pack,
    runner,
  });
  if (measured === undefined) throw new Error('the measured run did not complete');
  return measured;
}

// ---------------------------------------------------------------------------------------------
// units.*

export interface UnitsBench {
  /** Request units + SQS calls per message issued by a trigger ÷ the minimum for it. Goal ≤ 1.5. */
  perMessageVsMinimum: number;
  /** The same against the literal 1 RRU + 1 WRU + 0.1 (an item of at most 1 KB). */
  perMessageVsLiteralMinimum: number;
  unitsPerMessage: number;
  minimumPerMessage: number;
  realTime: { messages: number; unitsPerMessage: number };
  scheduled: { messages: number; unitsPerMessage: number };
  /** Where the units of a message go (per message). */
  breakdown: Record<string, number>;
  /** Units a dispatcher tick costs when nothing is due (not counted above: fixed, per 15 minutes). */
  idleTickUnits: number;
  /** The daily sweep's units per customer per day (not counted above: a safety net, priced in cost). */
  sweepUnitsPerCustomerDay: number;
  /**
   * The stats λ's units (its stats-table writes) per 15-minute window it closed: not counted above, a
   * cost per window however many messages the window carried (one write per campaign and day it touched).
   */
  statsUnitsPerWindow: number;
  /** Per message if they were counted: what they are at this run's size (a few messages a window). */
  statsUnitsPerMessageAtThisSize: number;
  messages: number;
  events: number;
  customers: number;
  windowDays: number;
  items: ItemSizes;
  seconds: MeasuredRun['seconds'];
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Component of a unit count: the table or queue it went to. */
function breakdownOf(t: StepTally, price: RefusedPrice): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (k: string, n: number) => {
    if (n !== 0) out[k] = (out[k] ?? 0) + n;
  };
  for (const [k, o] of Object.entries(t.ops)) {
    const [op = '', table = ''] = k.split(':');
    const label =
      table === 'customers' && (op === 'GetItem' || op === 'BatchGetItem')
        ? 'customer read'
        : table === 'customers' && (op === 'PutItem' || op === 'UpdateItem')
          ? 'customer write'
          : table === 'due' && op === 'BatchWriteItem'
            ? 'due entries'
            : table === 'due' && op === 'Query'
              ? 'due query'
              : `${table} ${op}`;
    // GSI writes (the held messages' index) stay with their table's operation.
    add(label, o.readUnits + o.writeUnits + o.refused * (price[k] ?? 1));
  }
  for (const [q, n] of Object.entries(t.sqs)) add(`SQS ${q}`, n);
  return out;
}

export function unitsFigures(run: MeasuredRun): UnitsBench {
  const price = run.refusedPrice;
  const ticks = run.byKind.tick ?? emptyTally();
  // The scheduled path: every tick's units above the fixed cost of an idle tick.
  const scheduled = addTally(emptyTally(), ticks);
  addTally(scheduled, run.idleTick, -ticks.steps);
  const trigger = addTally(addTally(emptyTally(), run.triggerEvents), scheduled);
  const messages = trigger.messagesIssued;
  const units = unitsOf(trigger, price);
  // The minimum for those messages: a strongly consistent read of the customer item and one write of it,
  // as large as the run's items are, and a tenth of a SendMessageBatch.
  const get = trigger.ops['GetItem:customers'];
  const put = trigger.ops['PutItem:customers'];
  const readPerItem = get === undefined || get.requests === 0 ? 1 : get.readUnits / get.requests;
  const putOk = put === undefined ? 0 : put.requests - put.refused;
  const writePerItem = put === undefined || putOk === 0 ? 1 : (put.writeUnits - put.indexWriteUnits) / putOk;
  const minimum = readPerItem + writePerItem + 0.1;
  const perMessage = messages === 0 ? 0 : units / messages;
  const breakdown = Object.fromEntries(
    Object.entries(breakdownOf(trigger, price))
      .map(([k, v]) => [k, round(messages === 0 ? 0 : v / messages)] as const)
      .filter(([, v]) => Math.abs(v) >= 0.001)
      .sort((a, b) => b[1] - a[1]),
  );
  const sweep = run.byKind.sweep ?? emptyTally();
  const events = Object.entries(run.byKind)
    .filter(([k]) => k.startsWith('event:'))
    .reduce((n, [, t]) => n + t.steps, 0);
  const sweepCustomerDays = Math.max(1, sweep.steps * ((run.customersAtStart + run.customersAtEnd) / 2));
  const per = (t: StepTally) => (t.messagesIssued === 0 ? 0 : round(unitsOf(t, price) / t.messagesIssued));
  return {
    perMessageVsMinimum: round(perMessage / minimum, 2),
    perMessageVsLiteralMinimum: round(perMessage / 2.1, 2),
    unitsPerMessage: round(perMessage),
    minimumPerMessage: round(minimum),
    realTime: { messages: run.triggerEvents.messagesIssued, unitsPerMessage: per(run.triggerEvents) },
    scheduled: { messages: scheduled.messagesIssued, unitsPerMessage: per(scheduled) },
    breakdown,
    idleTickUnits: round(unitsOf(run.idleTick, price)),
    sweepUnitsPerCustomerDay: round(unitsOf(sweep, price) / sweepCustomerDays),
    statsUnitsPerWindow: round(unitsOf(run.statsConsumer, price) / Math.max(1, run.statsWindows.closed)),
    statsUnitsPerMessageAtThisSize: round(unitsOf(run.statsConsumer, price) / Math.max(1, messages)),
    messages,
    events,
    customers: run.customersAtStart,
    windowDays: run.windowDays,
    items: run.items,
    seconds: run.seconds,
  };
}
