/**
 * The one description of how the engine is wired: the functions (entry, timeout, memory), what
 * triggers each (SQS queue, table stream, schedule), the tables and queues each may use and the
 * environment each receives. Plain data, no CDK imports: the CDK stacks build resources, grants and
 * event source mappings from it, and the local runtime reads the same description, so they cannot
 * drift. `test/infra/wiring.test.ts` checks the synthesized template against it.
 */
import type { TableId } from '../functions/adapters/dynamodb/tables.ts';
import { TABLE_ENV } from '../functions/adapters/dynamodb/tables.ts';
import { DETAIL_TYPES } from '../functions/domain/events.ts';
import { ENV } from '../functions/shared/env.ts';

export type FunctionId = 'ingest' | 'relay' | 'stats' | 'dispatch' | 'evaluate' | 'maintenance';
export type QueueId =
  | 'ingest'
  | 'work'
  | 'maintenance'
  | 'rejected'
  | 'relayFailures'
  | 'email'
  | 'sms'
  | 'push';

/**
 * Table access: `read` (Get/Query/Scan/BatchGet), `write` (Put/Update/Delete/BatchWrite), both,
 * `update` (UpdateItem only: counters added to, never read, replaced or deleted), `batchPut`
 * (BatchWriteItem only: entries filed in batches, never read or changed — TTL removes them; IAM cannot
 * tell a batch's puts from its deletes) or `queryBatchPut` (those and Query).
 */
export type TableAccess = 'read' | 'write' | 'readWrite' | 'update' | 'batchPut' | 'queryBatchPut';
/** Queue access: `send` (SendMessage*), `consume` (the event source mapping), or both. */
export type QueueAccess = 'send' | 'consume' | 'sendConsume';

export interface SqsTrigger {
  readonly kind: 'sqs';
  readonly queue: QueueId;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  /** Always true: every consumer returns partial batch responses. */
  readonly reportBatchItemFailures: true;
  /** Upper bound of concurrent invocations the mapping starts (protects the table). */
  readonly maxConcurrency: number;
}

export interface StreamTrigger {
  readonly kind: 'stream';
  readonly table: TableId;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  readonly bisectBatchOnError: boolean;
  readonly retryAttempts: number;
  readonly maxRecordAgeSeconds: number;
  readonly parallelizationFactor: number;
  /**
   * TumblingWindowInSeconds: the function sums each window's records in the window's state and acts on
   * the sum once, at the window's end (0: no windows). Lambda allows it only with parallelization factor 1.
   */
  readonly tumblingWindowSeconds: number;
  readonly reportBatchItemFailures: true;
  /** Where the metadata of records that exhausted their retries goes. */
  readonly onFailure: QueueId;
}

export interface ScheduleTrigger {
  readonly kind: 'schedule';
  /** Schedule id, unique per function. */
  readonly id: string;
  /** EventBridge Scheduler cron fields (UTC). */
  readonly cron: { readonly minute: string; readonly hour: string };
  /** The event the function receives. */
  readonly input: Readonly<Record<string, unknown>>;
  readonly description: string;
}

export type Trigger = SqsTrigger | StreamTrigger | ScheduleTrigger;

export interface FunctionWiring {
  readonly id: FunctionId;
  /** Handler module, relative to the project root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly triggers: readonly Trigger[];
  /** Tables the function's role may use; every function receives every table name (see below). */
  readonly tables: Readonly<Partial<Record<TableId, TableAccess>>>;
  readonly queues: Readonly<Partial<Record<QueueId, QueueAccess>>>;
  /** Whether the campaign file is bundled with the function (CAMPAIGNS_FILE). */
  readonly campaigns: boolean;
}

export interface QueueWiring {
  readonly id: QueueId;
  readonly description: string;
  /** Redrive to `<id>-dlq` after this many receives; null for a terminal queue nothing consumes. */
  readonly maxReceiveCount: number | null;
  readonly retentionDays: number;
  /** The environment variable carrying its URL to the functions, when they send to it. */
  readonly urlEnv: string | null;
}

export const QUEUES: Readonly<Record<QueueId, QueueWiring>> = {
  ingest: {
    id: 'ingest',
    description: 'Shop events from the bus rule, consumed by ingest',
    maxReceiveCount: 5,
    retentionDays: 4,
    urlEnv: null,
  },
  work: {
    id: 'work',
    description: 'Customers due for evaluation, filled by dispatch',
    maxReceiveCount: 5,
    retentionDays: 4,
    urlEnv: ENV.workQueueUrl,
  },
  maintenance: {
    id: 'maintenance',
    description: 'Sweep tasks (one Scan segment each) and due-wave tasks (one due partition each)',
    maxReceiveCount: 3,
    retentionDays: 4,
    urlEnv: ENV.maintenanceQueueUrl,
  },
  rejected: {
    id: 'rejected',
    description: 'Invalid shop events and undeliverable-message references, with reason attributes',
    maxReceiveCount: null,
    retentionDays: 14,
    urlEnv: ENV.rejectedQueueUrl,
  },
  relayFailures: {
    id: 'relayFailures',
    description: 'Customers stream batches the relay or the stats λ gave up on (stream metadata, for replay)',
    maxReceiveCount: null,
    retentionDays: 14,
    urlEnv: null,
  },
  email: {
    id: 'email',
    description: 'Email messages for the delivery workers',
    maxReceiveCount: 5,
    retentionDays: 4,
    urlEnv: ENV.emailQueueUrl,
  },
  sms: {
    id: 'sms',
    description: 'SMS messages for the delivery workers',
    maxReceiveCount: 5,
    retentionDays: 4,
    urlEnv: ENV.smsQueueUrl,
  },
  push: {
    id: 'push',
    description: 'Push messages for the delivery workers',
    maxReceiveCount: 5,
    retentionDays: 4,
    urlEnv: ENV.pushQueueUrl,
  },
};

export const QUEUE_IDS = Object.keys(QUEUES) as QueueId[];

/** A rule of the event bus: events matching `pattern` go to `queue` (EventBridge retries, then its DLQ). */
export interface BusRuleWiring {
  /** The construct id is `<id>Rule`. */
  readonly id: string;
  readonly description: string;
  /** An EventBridge event pattern, with the event's own field names (`detail-type`, `source` …). */
  readonly pattern: Readonly<Record<string, readonly string[]>>;
  readonly queue: QueueId;
  readonly retryAttempts: number;
  readonly maxEventAgeSeconds: number;
}

export const BUS_RULES: readonly BusRuleWiring[] = [
  {
    id: 'ShopEvents',
    description: 'Shop events → ingest queue',
    pattern: { 'detail-type': DETAIL_TYPES },
    queue: 'ingest',
    retryAttempts: 185,
    maxEventAgeSeconds: 24 * 3600,
  },
];
export const CHANNEL_QUEUES = ['email', 'sms', 'push'] as const satisfies readonly QueueId[];

const SQS_BATCH = { reportBatchItemFailures: true } as const;

export const FUNCTIONS: Readonly<Record<FunctionId, FunctionWiring>> = {
  ingest: {
    id: 'ingest',
    entry: 'functions/handlers/ingest.ts',
    description: 'Shop events → customer item and real-time triggers (one conditional write)',
    timeoutSeconds: 30,
    memoryMb: 512,
    triggers: [
      {
        kind: 'sqs',
        queue: 'ingest',
        // On the real-time path (an order's milestone message queued within a second): no batching
        // window, so a batch goes as soon as its messages are there, not after a wait for a full one at a
        // quiet hour; SQS allows no more than 10 a batch without a window.
        batchSize: 10,
        maxBatchingWindowSeconds: 0,
        maxConcurrency: 50,
        ...SQS_BATCH,
      },
    ],
    tables: { customers: 'readWrite', due: 'batchPut' },
    queues: { ingest: 'consume', rejected: 'send' },
    campaigns: true,
  },
  relay: {
    id: 'relay',
    entry: 'functions/handlers/relay.ts',
    description: 'Customers stream → ledger entries, channel queues, held messages',
    timeoutSeconds: 60,
    memoryMb: 512,
    triggers: [
      {
        kind: 'stream',
        table: 'customers',
        batchSize: 100,
        // The real-time path: records go as soon as a poll finds them (4 polls a second).
        maxBatchingWindowSeconds: 0,
        startingPosition: 'TRIM_HORIZON',
        bisectBatchOnError: true,
        retryAttempts: 10,
        maxRecordAgeSeconds: 6 * 3600,
        parallelizationFactor: 2,
        tumblingWindowSeconds: 0,
        reportBatchItemFailures: true,
        onFailure: 'relayFailures',
      },
    ],
    tables: { ledger: 'write', held: 'write' },
    // The on-failure destination (relayFailures) is granted by the stream trigger itself.
    queues: { email: 'send', sms: 'send', push: 'send', rejected: 'send' },
    campaigns: true,
  },
  stats: {
    id: 'stats',
    entry: 'functions/handlers/stats.ts',
    description: 'Customers stream → campaign stats items, one write per item per 15-minute window',
    timeoutSeconds: 60,
    memoryMb: 512,
    triggers: [
      {
        kind: 'stream',
        table: 'customers',
        // Off the delivery path: records wait up to a minute to fill a batch, and each 15-minute window's
        // counts are written once, at its end (the relay's batches at 1M customers hold about one record).
        batchSize: 1000,
        maxBatchingWindowSeconds: 60,
        // Not TRIM_HORIZON: on a stack upgraded from a version whose relay wrote the stats, the stream's
        // last 24 hours are already in the items. A new stack has no writes before its mappings start.
        startingPosition: 'LATEST',
        bisectBatchOnError: true,
        retryAttempts: 10,
        maxRecordAgeSeconds: 6 * 3600,
        parallelizationFactor: 1,
        tumblingWindowSeconds: 900,
        reportBatchItemFailures: true,
        onFailure: 'relayFailures',
      },
    ],
    tables: { stats: 'update' },
    // The on-failure destination (relayFailures) is granted by the stream trigger itself.
    queues: {},
    campaigns: true,
  },
  dispatch: {
    id: 'dispatch',
    entry: 'functions/handlers/dispatch.ts',
    description:
      'Due entries → evaluation (the first due itself, the rest via the work queue); held messages due → channel queues',
    timeoutSeconds: 300,
    memoryMb: 512,
    triggers: [
      {
        kind: 'schedule',
        id: 'every-15-minutes',
        // One minute after each 15-minute bucket boundary: due entries are read eventually consistent.
        cron: { minute: '1,16,31,46', hour: '*' },
        input: {},
        description: 'Dispatch the due buckets every 15 minutes',
      },
    ],
    // It reads the due entries and, evaluating the first due customers itself, files new ones.
    tables: { customers: 'readWrite', due: 'queryBatchPut', dispatch: 'readWrite', held: 'readWrite' },
    // A wave's partitions are handed on to the maintenance queue.
    queues: { work: 'send', maintenance: 'send', email: 'send', sms: 'send', push: 'send', rejected: 'send' },
    campaigns: true,
  },
  evaluate: {
    id: 'evaluate',
    entry: 'functions/handlers/evaluate.ts',
    description: 'Work queue → scheduled triggers, guardrails and issuance per customer',
    timeoutSeconds: 60,
    memoryMb: 512,
    triggers: [
      {
        kind: 'sqs',
        queue: 'work',
        batchSize: 50,
        maxBatchingWindowSeconds: 2,
        maxConcurrency: 50,
        ...SQS_BATCH,
      },
    ],
    tables: { customers: 'readWrite', due: 'batchPut' },
    queues: { work: 'consume' },
    campaigns: true,
  },
  maintenance: {
    id: 'maintenance',
    entry: 'functions/handlers/maintenance.ts',
    description:
      'Sweep (start, per-segment scan tasks) and due-wave tasks (per due partition), from the maintenance queue',
    // Its tasks hand their rest on when time runs short, so a long timeout buys nothing; a short one
    // keeps the queue's visibility timeout (6×: 6 min) short, the wait of a task whose run crashed —
    // well within the dispatcher's 15-minute tick, so a due task retried after a crash, and the
    // evaluate batch it then sends (its work queue waits 6 minutes too), still come before the next
    // tick's customers.
    timeoutSeconds: 60,
    memoryMb: 1024,
    triggers: [
      {
        kind: 'sqs',
        queue: 'maintenance',
        batchSize: 1,
        maxBatchingWindowSeconds: 0,
        maxConcurrency: 16,
        ...SQS_BATCH,
      },
      {
        kind: 'schedule',
        id: 'daily-sweep',
        cron: { minute: '0', hour: '3' },
        input: { action: 'start-sweep' },
        description: 'Daily sweep: evaluate what is due, re-index changed customers',
      },
    ],
    // The sweep files re-indexed customers; the due tasks read the due entries and fill the work queue.
    tables: { customers: 'readWrite', due: 'queryBatchPut' },
    queues: { maintenance: 'sendConsume', work: 'send' },
    campaigns: true,
  },
};

export const FUNCTION_IDS = Object.keys(FUNCTIONS) as FunctionId[];

/** The function an SQS trigger of which consumes the queue (undefined: drained outside the engine). */
export function consumerOf(queue: QueueId): FunctionWiring | undefined {
  return Object.values(FUNCTIONS).find((fn) =>
    fn.triggers.some((t) => t.kind === 'sqs' && t.queue === queue),
  );
}

/**
 * A queue's visibility timeout, as the stack sets it and the local runtime simulates it: 6× its
 * consumer's timeout (AWS guidance), 60 s for a queue drained outside the engine.
 */
export function visibilityTimeoutSeconds(queue: QueueId): number {
  const consumer = consumerOf(queue);
  return consumer === undefined ? 60 : consumer.timeoutSeconds * 6;
}

/** Where the bundled campaign file sits inside a function's code (the asset root is /var/task). */
export const BUNDLED_CAMPAIGNS_FILE = '/var/task/campaigns/campaigns.yaml';
/** Where an optional bundled replenishment model sits. */
export const BUNDLED_MODEL_FILE = '/var/task/campaigns/replenishment-model.json';

export const POWERTOOLS_SERVICE_NAME = 'loyalty-triggers';
export const POWERTOOLS_METRICS_NAMESPACE = 'LoyaltyTriggers';

/**
 * The names of the variables a function receives. Every table name is set on every function, because
 * the data layer (`tableNamesFromEnv`) reads all of them; the role's grants stay least-privilege.
 */
export function envNames(fn: FunctionWiring, options: { model?: boolean } = {}): string[] {
  const names: string[] = Object.values(TABLE_ENV);
  for (const [id, access] of Object.entries(fn.queues) as [QueueId, QueueAccess][]) {
    const urlEnv = QUEUES[id].urlEnv;
    if (urlEnv !== null && access !== 'consume') names.push(urlEnv);
  }
  if (fn.campaigns) {
    names.push(ENV.campaignsFile);
    if (options.model === true) names.push(ENV.replenishmentModelFile);
  }
  names.push('POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE');
  return names;
}
