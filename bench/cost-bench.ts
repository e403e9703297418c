/**
 * cost.*: the engine's AWS bill per month (DynamoDB on-demand, Lambda requests and GB-s, SQS,
 * EventBridge, Scheduler; delivery providers and storage excluded) at list prices (local/cost.ts), for
 * a shop whose customers place 2 orders a month, with the default campaign pack — extrapolated from what
 * each step of the measured run (bench/units-bench.ts) cost:
 *
 *  - per order: the mean OrderPlaced step (bus → ingest → stream → relay → ledger and queues), × 2;
 *  - other events (updates, consents, actions, engagement with messages, cancellations) at the rate the
 *    synthetic shop produced them per customer-month; registrations are a one-off, listed apart;
 *  - scheduled triggers: the dispatcher ticks of the run above the fixed cost of an idle tick, per
 *    customer-month (reads of the due customers, their writes and due entries, the work queue, relay);
 *  - the daily sweep: a parallel Scan of every item, priced by DynamoDB's rule — a Scan page is billed
 *    0.5 RRU per started 4 KB of the items it reads (eventually consistent), pages of 100 items — on the
 *    run's mean stored item size, plus the Lambda time per item measured in the run's sweeps;
 *  - fixed per month: 2,880 dispatcher ticks with the deployed 16 due-entry shards, their Scheduler
 *    invocations, 30 sweeps' task messages, and the idle long polls of the three SQS event source mappings;
 *  - campaign stats: the stats λ reads every customer write (its time per record, measured) and writes
 *    each 15-minute window's counts once per stream shard: at 1M customers every campaign fires in every
 *    window, so a window is priced at two items per campaign of the pack (its day, and an earlier day a
 *    conversion or claw-back goes to), whatever the run's few messages a window touched.
 *
 * Three ways to run the scheduled triggers are priced side by side: the next-due index as deployed (with
 * the daily sweep as its safety net), a daily sweep alone (no index: day precision, the same work for
 * what is due, no index writes, no dispatch reads, no work queue), and a sweep every 15 minutes (the
 * index's precision without an index).
 */
import type { FunctionId } from '../lib/wiring.ts';
import { FUNCTION_IDS, FUNCTIONS } from '../lib/wiring.ts';
import type { CostLine, Quantities } from '../local/cost.ts';
import { addQuantities, NO_QUANTITIES, PRICES, priceQuantities } from '../local/cost.ts';
import type { MeasuredRun, RefusedPrice, StepTally } from './units-bench.ts';
import { addTally, billedUnits, emptyTally, MODEL_LATENCY_MS, scaleTally } from './units-bench.ts';

/** Orders per customer per month in the priced workload. */
export const ORDERS_PER_CUSTOMER_MONTH = 2;
const DAYS_PER_MONTH = 30;
const TICKS_PER_MONTH = DAYS_PER_MONTH * 96;
/** The deployed due-entry and held-message shards (one query each per tick). */
const DEPLOYED_SHARDS = 16;
/** Items per Scan page in the sweep (maintenance pageSize) and its segments. */
const SWEEP_PAGE_ITEMS = 100;
const SWEEP_SEGMENTS = 16;
/**
 * Idle long polls of one SQS event source mapping: Lambda keeps polling with at least 2 and usually 5
 * concurrent batches when a queue is quiet (Lambda Developer Guide, "Configuring scaling behavior for
 * SQS event source mappings"), each a 20-second ReceiveMessage: 5 × 3 a minute.
 */
const IDLE_POLLS_PER_MAPPING_MONTH = 5 * 3 * 60 * 24 * DAYS_PER_MONTH;
const SQS_MAPPINGS = 3;
/**
 * Shards of the customers table's stream: one per table partition. A new on-demand table has four
 * (4,000 WCU of write capacity at 1,000 per partition); a partition holds 10 GB, so items of about 1 KB
 * need no more below 40M customers.
 */
const STREAM_SHARDS = 4;
/** The stats λ's 15-minute tumbling windows per shard and month. */
const STATS_WINDOWS_PER_SHARD_MONTH = DAYS_PER_MONTH * 96;
/** Its invocations per shard and month: a batch a minute at most (batching window) plus each final one. */
const STATS_INVOCATIONS_PER_SHARD_MONTH = DAYS_PER_MONTH * 24 * 60 + STATS_WINDOWS_PER_SHARD_MONTH;

export type VariantId = 'dueIndex' | 'dailySweep' | 'quarterHourSweep';

export interface Variant {
  description: string;
  /** Engine $ per month at 1M and 10M customers. */
  usdPerMonth: { '1M': number; '10M': number };
  /** $ per 1M customers per month at 1M and at 10M customers (fixed costs spread wider). */
  usdPerMillionCustomersMonth: { '1M': number; '10M': number };
  /** $ per month at 1M customers by activity. */
  byActivity: Record<string, number>;
  /** The bill at 1M customers, by service item. */
  lines: CostLine[];
}

export interface CostBench {
  /** The next-due index as deployed (with its daily safety-net sweep), at 1M customers. Goal ≤ $10. */
  usdPerMillionCustomersMonth: number;
  variants: Record<VariantId, Variant>;
  /**
   * The same for a shop two years old (`npm run bench` adds it when its own shop is younger): items
   * grow with tenure, and every write is billed on the item's size.
   */
  matureShop?: {
    warmupDays: number;
    usdPerMillionCustomersMonth: number;
    usdPerMonth10M: number;
    meanItemBytes: number;
    unitsPerMessageVsMinimum: number;
  };
  /** Per customer per month, next-due index variant (without the fixed costs). */
  perCustomerMonth: Quantities;
  /** What the extrapolation assumed or measured. */
  basis: {
    ordersPerCustomerMonth: number;
    measuredOrdersPerCustomerMonth: number;
    otherEventsPerCustomerMonth: Record<string, number>;
    scheduledEvaluationsPerCustomerMonth: number;
    /** One customer evaluated by the scheduled path, with its share of the relay and queues. */
    perScheduledEvaluation: Quantities;
    /** Modeled evaluate λ time per customer evaluated (CPU here + round trips). */
    evaluateMsPerCustomer: number;
    /** Modeled relay λ time per customer write it reads from the stream. */
    relayMsPerCustomerWrite: number;
    /** Modeled stats λ time per stream record it counts. */
    statsMsPerRecord: number;
    /** Stats items a window writes: priced (2 per campaign), and measured in this small run. */
    statsItemsPerWindow: { priced: number; measured: number };
    streamShards: number;
    messagesPerCustomerMonth: number;
    meanItemBytes: number;
    sweepReadUnitsPerItem: number;
    sweepLambdaMsPerItem: number;
    perOrder: Quantities;
    perRegistration: Quantities;
    customers: number;
    windowDays: number;
    modelLatencyMs: typeof MODEL_LATENCY_MS;
    /** Lambda GB-s per customer-month from the wall time here (DynamoDB Local): an upper bound. */
    lambdaGbSecondsWallPerCustomerMonth: number;
  };
  prices: typeof PRICES;
  /** SaaS reference: a per-profile price × 1M profiles (Customer.io's published $0.004–0.009). */
  saasUsdPerMillionProfilesMonth: { low: number; high: number };
}

const memoryGbOf = (f: FunctionId) => FUNCTIONS[f].memoryMb / 1024;

/** A tally's quantities: units as billed, Lambda GB-s from the modeled duration. */
function quantitiesOf(t: StepTally, price: RefusedPrice, wall = false): Quantities {
  const b = billedUnits(t, price);
  let invocations = 0;
  let gbSeconds = 0;
  for (const f of FUNCTION_IDS) {
    invocations += t.invocations[f];
    gbSeconds += ((wall ? t.wallMs[f] : t.modelMs[f]) / 1000) * memoryGbOf(f);
  }
  return {
    dynamodbReadUnits: b.readUnits,
    dynamodbWriteUnits: b.writeUnits,
    lambdaInvocations: invocations,
    lambdaGbSeconds: gbSeconds,
    sqsRequests: b.sqsRequests,
    eventBridgeEvents: t.eventBridgeEvents,
    schedulerInvocations: t.schedulerInvocations,
  };
}

/** The tally without the due index: no due entries written. */
function withoutIndex(t: StepTally): StepTally {
  const out = scaleTally(t, 1);
  delete out.ops['BatchWriteItem:due'];
  return out;
}

/**
 * What the scheduled work costs when a sweep finds the due customers instead of the index: the item was
 * just scanned (no GetItem), nothing is queried, nothing goes through the work queue, no index entry is
 * written; the issuance writes, the relay and its messages stay.
 */
function asSweepWork(t: StepTally): StepTally {
  const out = withoutIndex(t);
  const reads = out.ops['GetItem:customers']?.requests ?? 0;
  delete out.ops['GetItem:customers'];
  delete out.ops['Query:due'];
  delete out.sqs.work;
  // The evaluation runs inside the sweep's invocations: its compute stays, its requests and reads go.
  out.modelMs.evaluate = Math.max(0, out.modelMs.evaluate - reads * MODEL_LATENCY_MS.dynamodb);
  out.invocations.evaluate = 0;
  out.modelMs.dispatch = 0;
  out.invocations.dispatch = 0;
  return out;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

export function costFigures(run: MeasuredRun): CostBench {
  const price = run.refusedPrice;
  const customers = (run.customersAtStart + run.customersAtEnd) / 2;
  const perCustomerMonth = DAYS_PER_MONTH / run.windowDays / customers;
  const kind = (k: string) => run.byKind[k] ?? emptyTally();

  const orders = kind('event:OrderPlaced');
  const perOrder = scaleTally(orders, 1 / Math.max(1, orders.steps));
  const registrations = kind('event:CustomerRegistered');
  const perRegistration = scaleTally(registrations, 1 / Math.max(1, registrations.steps));
  const otherKinds = Object.keys(run.byKind).filter(
    (k) => k.startsWith('event:') && k !== 'event:OrderPlaced' && k !== 'event:CustomerRegistered',
  );
  const others = otherKinds.reduce((a, k) => addTally(a, kind(k)), emptyTally());
  const ticks = kind('tick');
  const scheduled = addTally(scaleTally(ticks, 1), run.idleTick, -ticks.steps);
  const sweeps = kind('sweep');

  // Per customer-month, variable with the customer count.
  const ordersCm = scaleTally(perOrder, ORDERS_PER_CUSTOMER_MONTH);
  const othersCm = scaleTally(others, perCustomerMonth);
  const scheduledCm = scaleTally(scheduled, perCustomerMonth);

  // The sweep, per item scanned: the Scan by rule on the mean item; its Lambda time and writes as measured.
  const meanBytes = run.items.meanBytes;
  const scanReadUnitsPerItem = (Math.ceil((SWEEP_PAGE_ITEMS * meanBytes) / 4096) * 0.5) / SWEEP_PAGE_ITEMS;
  const itemsSwept = Math.max(1, sweeps.steps * customers);
  const sweepWrites = scaleTally(sweeps, 1 / itemsSwept);
  delete sweepWrites.ops['Scan:customers'];
  sweepWrites.sqs = {};
  sweepWrites.schedulerInvocations = 0;
  for (const f of FUNCTION_IDS) {
    sweepWrites.invocations[f] = 0;
    sweepWrites.modelMs[f] = 0;
  }
  /** What the sweep wrote per customer and sweep (re-indexing, anything the dispatcher had not issued). */
  const sweepWritesPerItem = quantitiesOf(sweepWrites, price);
  const sweepLambdaMsPerItem = sweeps.modelMs.maintenance / itemsSwept;
  const scanPerItem: Quantities = {
    ...NO_QUANTITIES,
    dynamodbReadUnits: scanReadUnitsPerItem,
    lambdaGbSeconds: (sweepLambdaMsPerItem / 1000) * memoryGbOf('maintenance'),
  };
  // Fixed per sweep: the start, one task message per segment (sent in batches of 10, received, deleted).
  const sweepFixed: Quantities = {
    ...NO_QUANTITIES,
    lambdaInvocations: 1 + SWEEP_SEGMENTS,
    sqsRequests: Math.ceil(SWEEP_SEGMENTS / 10) + 2 * SWEEP_SEGMENTS,
    schedulerInvocations: 1,
  };

  // Fixed per tick, as deployed: one due-entries query per shard (0.5 RRU at least, eventually
  // consistent) and one held-messages query per shard (1 RRU at least: strongly consistent), the
  // watermark's conditional write, one invocation of the dispatcher.
  const idleModelMs = FUNCTION_IDS.reduce((n, f) => n + run.idleTick.modelMs[f], 0);
  const tickFixed = (dueQueries: boolean): Quantities => ({
    ...NO_QUANTITIES,
    dynamodbReadUnits: DEPLOYED_SHARDS * ((dueQueries ? 0.5 : 0) + 1),
    dynamodbWriteUnits: dueQueries ? 1 : 0,
    lambdaInvocations: 1,
    lambdaGbSeconds:
      ((idleModelMs + (dueQueries ? 2 : 1) * (DEPLOYED_SHARDS - 1) * MODEL_LATENCY_MS.dynamodb) / 1000) *
      memoryGbOf('dispatch'),
    schedulerInvocations: 1,
  });
  const statsRecords = Math.max(1, run.statsWindows.records);
  const statsMsPerRecord = run.statsConsumer.modelMs.stats / statsRecords;
  const statsItemsPriced = 2 * run.campaigns;
  const statsWrites = billedUnits(run.statsConsumer, price).writeUnits;
  /** Customer writes (stream records) of a tally: successful puts and updates of the item. */
  const writesOf = (t: StepTally) =>
    ['PutItem:customers', 'UpdateItem:customers'].reduce(
      (n, k) => n + (t.ops[k]?.requests ?? 0) - (t.ops[k]?.refused ?? 0),
      0,
    );
  const customerWritesPerMonth =
    writesOf(ordersCm) + writesOf(othersCm) + writesOf(scheduledCm) + writesOf(sweepWrites) * DAYS_PER_MONTH;
  const statsPart: Part = {
    activity: 'campaign stats',
    perCustomer: {
      ...NO_QUANTITIES,
      lambdaGbSeconds: ((statsMsPerRecord * customerWritesPerMonth) / 1000) * memoryGbOf('stats'),
    },
    fixed: {
      ...NO_QUANTITIES,
      dynamodbWriteUnits: STREAM_SHARDS * STATS_WINDOWS_PER_SHARD_MONTH * statsItemsPriced,
      lambdaInvocations: STREAM_SHARDS * STATS_INVOCATIONS_PER_SHARD_MONTH,
      lambdaGbSeconds:
        ((STREAM_SHARDS * STATS_WINDOWS_PER_SHARD_MONTH * statsItemsPriced * MODEL_LATENCY_MS.dynamodb) /
          1000) *
        memoryGbOf('stats'),
    },
  };
  const idlePolls: Quantities = {
    ...NO_QUANTITIES,
    sqsRequests: SQS_MAPPINGS * IDLE_POLLS_PER_MAPPING_MONTH,
  };

  interface Part {
    activity: string;
    perCustomer: Quantities;
    fixed: Quantities;
  }
  const q = (t: StepTally) => quantitiesOf(t, price);
  // A sweep reads every item; with the index it also re-indexes what changed (its writes, measured).
  const sweepPart = (perDay: number, withIndex: boolean): Part => ({
    activity: perDay === 1 ? 'daily sweep' : 'sweep every 15 min',
    perCustomer: addQuantities(
      addQuantities(NO_QUANTITIES, scanPerItem, DAYS_PER_MONTH * perDay),
      sweepWritesPerItem,
      withIndex ? DAYS_PER_MONTH : 0,
    ),
    fixed: addQuantities(NO_QUANTITIES, sweepFixed, DAYS_PER_MONTH * perDay),
  });
  const fixedPart = (dueQueries: boolean): Part => ({
    activity: 'fixed (schedules, idle polls)',
    perCustomer: NO_QUANTITIES,
    fixed: addQuantities(addQuantities(NO_QUANTITIES, tickFixed(dueQueries), TICKS_PER_MONTH), idlePolls),
  });
  const parts: Record<VariantId, Part[]> = {
    dueIndex: [
      { activity: 'orders', perCustomer: q(ordersCm), fixed: NO_QUANTITIES },
      { activity: 'other events', perCustomer: q(othersCm), fixed: NO_QUANTITIES },
      { activity: 'scheduled triggers', perCustomer: q(scheduledCm), fixed: NO_QUANTITIES },
      sweepPart(1, true),
      statsPart,
      fixedPart(true),
    ],
    dailySweep: [
      { activity: 'orders', perCustomer: q(withoutIndex(ordersCm)), fixed: NO_QUANTITIES },
      { activity: 'other events', perCustomer: q(withoutIndex(othersCm)), fixed: NO_QUANTITIES },
      { activity: 'scheduled triggers', perCustomer: q(asSweepWork(scheduledCm)), fixed: NO_QUANTITIES },
      sweepPart(1, false),
      statsPart,
      fixedPart(false),
    ],
    quarterHourSweep: [
      { activity: 'orders', perCustomer: q(withoutIndex(ordersCm)), fixed: NO_QUANTITIES },
      { activity: 'other events', perCustomer: q(withoutIndex(othersCm)), fixed: NO_QUANTITIES },
      { activity: 'scheduled triggers', perCustomer: q(asSweepWork(scheduledCm)), fixed: NO_QUANTITIES },
      sweepPart(96, false),
      statsPart,
      fixedPart(false),
    ],
  };
  const descriptions: Record<VariantId, string> = {
    dueIndex: 'next-due index, dispatcher every 15 min, daily safety-net sweep (as deployed)',
    dailySweep: 'no index: a daily parallel-scan sweep finds what is due (day precision)',
    quarterHourSweep: 'no index: a parallel-scan sweep every 15 minutes (the index’s precision)',
  };
  const total = (ps: Part[], n: number) =>
    ps.reduce((acc, p) => addQuantities(addQuantities(acc, p.perCustomer, n), p.fixed), NO_QUANTITIES);
  const variants = {} as Record<VariantId, Variant>;
  for (const id of Object.keys(parts) as VariantId[]) {
    const ps = parts[id];
    const at1M = priceQuantities(total(ps, 1e6));
    const at10M = priceQuantities(total(ps, 1e7));
    variants[id] = {
      description: descriptions[id],
      usdPerMonth: { '1M': round(at1M.usdTotal), '10M': round(at10M.usdTotal) },
      usdPerMillionCustomersMonth: { '1M': round(at1M.usdTotal), '10M': round(at10M.usdTotal / 10) },
      byActivity: Object.fromEntries(
        ps.map((p) => [
          p.activity,
          round(priceQuantities(addQuantities(p.fixed, p.perCustomer, 1e6)).usdTotal),
        ]),
      ),
      lines: at1M.lines.map((l) => ({ ...l, quantity: Math.round(l.quantity), usd: round(l.usd) })),
    };
  }

  const perCm = (t: StepTally) => t.steps * perCustomerMonth;
  const all = Object.values(run.byKind).reduce((a, t) => addTally(a, t), emptyTally());
  const customerWrites = ['PutItem:customers', 'UpdateItem:customers'].reduce(
    (n, k) => n + (all.ops[k]?.requests ?? 0),
    0,
  );
  /** Customers the dispatcher's fan-out evaluated: one read each (alone, or a key of a batch read). */
  const evaluations =
    (scheduled.ops['GetItem:customers']?.requests ?? 0) +
    (scheduled.ops['BatchGetItem:customers']?.entries ?? 0);
  const dueIndexPerCustomer = parts.dueIndex.reduce((a, p) => addQuantities(a, p.perCustomer), NO_QUANTITIES);
  const wallPerCustomer = [ordersCm, othersCm, scheduledCm].reduce(
    (n, t) => n + quantitiesOf(t, price, true).lambdaGbSeconds,
    0,
  );
  const allEvents = Object.keys(run.byKind)
    .filter((k) => k.startsWith('event:'))
    .reduce((a, k) => addTally(a, kind(k)), emptyTally());
  const roundQ = (x: Quantities): Quantities =>
    Object.fromEntries(Object.entries(x).map(([k, v]) => [k, round(v, 4)])) as unknown as Quantities;
  return {
    usdPerMillionCustomersMonth: variants.dueIndex.usdPerMillionCustomersMonth['1M'],
    variants,
    perCustomerMonth: roundQ(dueIndexPerCustomer),
    basis: {
      ordersPerCustomerMonth: ORDERS_PER_CUSTOMER_MONTH,
      measuredOrdersPerCustomerMonth: round(perCm(orders), 3),
      otherEventsPerCustomerMonth: Object.fromEntries(
        otherKinds.map((k) => [k.slice('event:'.length), round(perCm(kind(k)), 3)]),
      ),
      scheduledEvaluationsPerCustomerMonth: round(evaluations * perCustomerMonth, 3),
      perScheduledEvaluation: roundQ(q(scaleTally(scheduled, 1 / Math.max(1, evaluations)))),
      evaluateMsPerCustomer: round(scheduled.modelMs.evaluate / Math.max(1, evaluations), 2),
      relayMsPerCustomerWrite: round(all.modelMs.relay / Math.max(1, customerWrites), 2),
      statsMsPerRecord: round(statsMsPerRecord, 3),
      statsItemsPerWindow: {
        priced: statsItemsPriced,
        measured: round(statsWrites / Math.max(1, run.statsWindows.closed), 2),
      },
      streamShards: STREAM_SHARDS,
      messagesPerCustomerMonth: round(
        (allEvents.messagesIssued + scheduled.messagesIssued) * perCustomerMonth,
        3,
      ),
      meanItemBytes: meanBytes,
      sweepReadUnitsPerItem: round(scanReadUnitsPerItem, 4),
      sweepLambdaMsPerItem: round(sweepLambdaMsPerItem, 3),
      perOrder: roundQ(q(perOrder)),
      perRegistration: roundQ(q(perRegistration)),
      customers: Math.round(customers),
      windowDays: run.windowDays,
      modelLatencyMs: MODEL_LATENCY_MS,
      lambdaGbSecondsWallPerCustomerMonth: round(wallPerCustomer, 5),
    },
    prices: PRICES,
    saasUsdPerMillionProfilesMonth: { low: 4000, high: 9000 },
  };
}
