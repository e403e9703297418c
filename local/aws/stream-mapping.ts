/**
 * Lambda's DynamoDB-stream event source mapping, in process: records polled from a source (the
 * `StreamReader`, or a fake) go to the handler as `DynamoDBStreamEvent`s, per shard in order, in
 * batches of at most `batchSize` (and 6 MB), one batch of a shard at a time, with the error handling
 * AWS documents for stream mappings:
 *
 * - a thrown error, or a `batchItemFailures` entry with an empty or unknown `itemIdentifier`, fails the
 *   whole batch; with `reportBatchItemFailures`, the lowest reported sequence number is the checkpoint:
 *   the records before it are done, it and the records after it are retried;
 * - a failed batch is retried up to `retryAttempts` times (the count belongs to the batch), then given
 *   up; with `bisectBatchOnError` a whole-batch failure first splits the batch into two halves, retried
 *   one after the other, and a partial failure splits it at the checkpoint — splitting consumes no
 *   retry, and halves only shrink, so a bad record ends up alone and is the only one given up;
 * - records older than `maxRecordAgeSeconds` (by `ApproximateCreationDateTime` against the clock) are
 *   given up without being invoked;
 * - a given-up batch sends Lambda's on-failure record (stream metadata, no data) to `onFailure` and the
 *   shard moves on.
 *
 * Nothing waits: retries follow each other at once and `drain()` returns when a poll finds nothing new.
 * The caller owns time. Not modelled: the batching window, `parallelizationFactor` (one batch per shard
 * at a time), retry backoff, tumbling windows, filters, and infinite retries (`retryAttempts: -1`).
 */
import type { AttributeValue as SdkAttributeValue } from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { StreamBatch, StreamRecord } from '../../functions/adapters/dynamodb/stream-reader.ts';
import type { FunctionWiring, StreamTrigger } from '../../lib/wiring.ts';
import type { Clock } from './clock.ts';
import { DEFAULT_ACCOUNT, DEFAULT_REGION, deterministicUuid, makeLambdaContext } from './lambda.ts';
import type { LocalQueue } from './sqs.ts';
import { MAX_LAMBDA_PAYLOAD_BYTES } from './sqs.ts';

/** What the mapping reads: `StreamReader` is one. */
export interface StreamSource {
  poll(): Promise<StreamBatch[]>;
}

/** Any stream handler: its result is read as a `DynamoDBBatchResponse` when it has `batchItemFailures`. */
export type StreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<unknown> | unknown;

export interface StreamEventSourceOptions {
  /** BatchSize (1–10000). */
  batchSize: number;
  bisectBatchOnError: boolean;
  /** MaximumRetryAttempts (0–10000; -1, infinite, is not supported: `drain()` could never end). */
  retryAttempts: number;
  /** MaximumRecordAgeInSeconds (60–604800, or -1 for no limit). */
  maxRecordAgeSeconds: number;
  reportBatchItemFailures: boolean;
  /** The on-failure destination; without it given-up records are only counted. */
  onFailure?: LocalQueue;
  functionName: string;
  timeoutSeconds: number;
  memoryMb: number;
  clock: Clock;
  /**
   * Applied to each record as it is polled, before anything reads it (DynamoDB Local stamps
   * `ApproximateCreationDateTime` with wall-clock time; the embedded runtime moves it to the clock).
   */
  recordTime?: (record: StreamRecord) => StreamRecord;
  /** The records' `eventSourceARN` and the on-failure record's `streamArn` (a placeholder by default). */
  streamArn?: string;
  account?: string;
  region?: string;
}

/** The options a function's stream trigger fixes; the caller adds the clock and the on-failure queue. */
export type WiredStreamOptions = Pick<
  StreamEventSourceOptions,
  | 'batchSize'
  | 'bisectBatchOnError'
  | 'retryAttempts'
  | 'maxRecordAgeSeconds'
  | 'reportBatchItemFailures'
  | 'functionName'
  | 'timeoutSeconds'
  | 'memoryMb'
>;

export interface StreamDrainResult {
  /** Calls to `source.poll()`. */
  polls: number;
  /** Records read from the source. */
  records: number;
  /** Handler invocations. */
  invocations: number;
  /** Records handed to the handler, redeliveries included. */
  delivered: number;
  /** Records done: in a batch that succeeded, or before the checkpoint of a partial failure. */
  processed: number;
  /** Invocations that threw. */
  errors: number;
  /** Failed batches (or their remainders) retried at the cost of a retry attempt. */
  retried: number;
  /** Splits: a failed batch cut in two halves, or at the checkpoint of a partial failure (no retry spent). */
  bisected: number;
  /** Records given up (retries exhausted or too old). */
  givenUp: number;
  /** On-failure records sent (one per given-up batch). */
  failureRecords: number;
}

/** The body of an on-failure record, as Lambda sends it for a stream batch. */
export interface StreamFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    approximateInvokeCount: number;
  };
  responseContext?: { statusCode: number; executedVersion: string; functionError?: string };
  version: '1.0';
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

interface Polled {
  readonly record: DynamoDBRecord;
  readonly sequenceNumber: string;
  /** ApproximateCreationDateTime in epoch ms, when the record has one. */
  readonly createdMs: number | undefined;
  readonly bytes: number;
}

interface Batch {
  records: Polled[];
  /** Retry attempts spent on these records. */
  retries: number;
  /** Invocations these records were part of. */
  invokes: number;
  lastRequestId: string | undefined;
  lastThrew: boolean;
}

interface Shard {
  readonly id: string;
  /** Polled, not in a batch yet. */
  readonly waiting: Polled[];
  /** Batches cut and not finished, the head first (more than one after a split). */
  readonly batches: Batch[];
}

function zero(): StreamDrainResult {
  return {
    polls: 0,
    records: 0,
    invocations: 0,
    delivered: 0,
    processed: 0,
    errors: 0,
    retried: 0,
    bisected: 0,
    givenUp: 0,
    failureRecords: 0,
  };
}

function integerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/** A Streams API attribute value as Lambda's event carries it (binary as base64). */
function toEventValue(value: SdkAttributeValue): AttributeValue {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.L !== undefined) return { L: value.L.map(toEventValue) };
  if (value.M !== undefined) return { M: toEventImage(value.M) };
  return value as AttributeValue;
}

function toEventImage(image: Record<string, SdkAttributeValue>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(image)) out[name] = toEventValue(value);
  return out;
}

/**
 * A Streams API record (`GetRecords`) as Lambda hands it to a function: `ApproximateCreationDateTime`
 * in epoch seconds, binary values in base64, `eventSourceARN` set, `userIdentity` in camel case.
 */
export function toDynamoDBRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const d = record.dynamodb;
  const out: DynamoDBRecord = {};
  if (record.eventID !== undefined) out.eventID = record.eventID;
  if (record.eventName !== undefined) out.eventName = record.eventName;
  if (record.eventVersion !== undefined) out.eventVersion = record.eventVersion;
  out.eventSource = record.eventSource ?? 'aws:dynamodb';
  if (record.awsRegion !== undefined) out.awsRegion = record.awsRegion;
  if (d !== undefined) {
    out.dynamodb = {
      ...(d.ApproximateCreationDateTime === undefined
        ? {}
        : { ApproximateCreationDateTime: d.ApproximateCreationDateTime.getTime() / 1000 }),
      ...(d.Keys === undefined ? {} : { Keys: toEventImage(d.Keys) }),
      ...(d.NewImage === undefined ? {} : { NewImage: toEventImage(d.NewImage) }),
      ...(d.OldImage === undefined ? {} : { OldImage: toEventImage(d.OldImage) }),
      ...(d.SequenceNumber === undefined ? {} : { SequenceNumber: d.SequenceNumber }),
      ...(d.SizeBytes === undefined ? {} : { SizeBytes: d.SizeBytes }),
      ...(d.StreamViewType === undefined ? {} : { StreamViewType: d.StreamViewType }),
    };
  }
  out.eventSourceARN = streamArn;
  if (record.userIdentity !== undefined) {
    out.userIdentity = { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId };
  }
  return out;
}

/** Lambda's timestamp format in the on-failure record: ISO 8601 to the second. */
function isoSeconds(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

let invocationCount = 0;
let failureCount = 0;

export class StreamEventSource {
  private readonly shards = new Map<string, Shard>();
  private readonly totals = zero();
  private readonly streamArn: string;
  private readonly functionArn: string;
  private draining = false;

  constructor(
    private readonly source: StreamSource,
    private readonly handler: StreamHandler,
    private readonly options: StreamEventSourceOptions,
  ) {
    if (!integerIn(options.batchSize, 1, 10_000)) {
      throw new RangeError(`batchSize must be from 1 to 10000, got ${options.batchSize}`);
    }
    if (!integerIn(options.retryAttempts, 0, 10_000)) {
      throw new RangeError(
        `retryAttempts must be from 0 to 10000 (infinite retries are not supported locally), got ${options.retryAttempts}`,
      );
    }
    const age = options.maxRecordAgeSeconds;
    if (age !== -1 && !integerIn(age, 60, 604_800)) {
      throw new RangeError(`maxRecordAgeSeconds must be -1 or from 60 to 604800, got ${age}`);
    }
    const account = options.account ?? DEFAULT_ACCOUNT;
    const region = options.region ?? DEFAULT_REGION;
    this.functionArn = `arn:aws:lambda:${region}:${account}:function:${options.functionName}`;
    this.streamArn =
      options.streamArn ??
      `arn:aws:dynamodb:${region}:${account}:table/${options.functionName}-source/stream/1970-01-01T00:00:00.000`;
  }

  /** Totals over every `drain()`. */
  stats(): StreamDrainResult {
    return { ...this.totals };
  }

  /**
   * Polls the source and processes what it returned — shards in turn, one batch per shard per turn,
   * retries and splits right away — until a poll returns no record and nothing is left to process.
   */
  async drain(): Promise<StreamDrainResult> {
    if (this.draining) throw new Error('drain() is already running');
    this.draining = true;
    const result = zero();
    const count = (key: keyof StreamDrainResult, n = 1) => {
      result[key] += n;
      this.totals[key] += n;
    };
    try {
      for (;;) {
        const batches = await this.source.poll();
        count('polls');
        let polled = 0;
        for (const batch of batches) polled += this.accept(batch);
        count('records', polled);
        if (polled === 0 && !this.hasWork()) return result;
        while (this.hasWork()) {
          for (const shard of this.shards.values()) {
            if (shard.waiting.length > 0 || shard.batches.length > 0) await this.step(shard, count);
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private hasWork(): boolean {
    for (const shard of this.shards.values()) {
      if (shard.waiting.length > 0 || shard.batches.length > 0) return true;
    }
    return false;
  }

  private accept(batch: StreamBatch): number {
    let shard = this.shards.get(batch.shardId);
    if (shard === undefined) {
      shard = { id: batch.shardId, waiting: [], batches: [] };
      this.shards.set(batch.shardId, shard);
    }
    for (const polled of batch.records) {
      const raw = this.options.recordTime === undefined ? polled : this.options.recordTime(polled);
      const record = toDynamoDBRecord(raw, this.streamArn);
      shard.waiting.push({
        record,
        sequenceNumber: raw.dynamodb?.SequenceNumber ?? '',
        createdMs: raw.dynamodb?.ApproximateCreationDateTime?.getTime(),
        bytes: Buffer.byteLength(JSON.stringify(record), 'utf8'),
      });
    }
    return batch.records.length;
  }

  /** The shard's head batch, cut from the waiting records when there is none. */
  private head(shard: Shard): Batch | undefined {
    const current = shard.batches[0];
    if (current !== undefined) return current;
    let bytes = 0;
    let n = 0;
    for (const p of shard.waiting) {
      if (n === this.options.batchSize || (n > 0 && bytes + p.bytes > MAX_LAMBDA_PAYLOAD_BYTES)) break;
      bytes += p.bytes;
      n++;
    }
    if (n === 0) return undefined;
    const batch: Batch = {
      records: shard.waiting.splice(0, n),
      retries: 0,
      invokes: 0,
      lastRequestId: undefined,
      lastThrew: false,
    };
    shard.batches.push(batch);
    return batch;
  }

  /** One step of a shard: drops expired records, or invokes the head batch once and acts on the outcome. */
  private async step(shard: Shard, count: (key: keyof StreamDrainResult, n?: number) => void): Promise<void> {
    const batch = this.head(shard);
    if (batch === undefined) return;

    const expired = this.expiredPrefix(batch.records);
    if (expired > 0) {
      this.giveUp(shard, batch, batch.records.slice(0, expired), 'RecordAgeExceeded', count);
      batch.records = batch.records.slice(expired);
      if (batch.records.length === 0) shard.batches.shift();
      return;
    }

    const { functionName } = this.options;
    const requestId = deterministicUuid(`lambda-stream:${functionName}`, invocationCount++);
    const context = makeLambdaContext(this.options.clock, {
      functionName,
      timeoutSeconds: this.options.timeoutSeconds,
      memoryMb: this.options.memoryMb,
      awsRequestId: requestId,
      ...(this.options.account === undefined ? {} : { account: this.options.account }),
      ...(this.options.region === undefined ? {} : { region: this.options.region }),
    });
    batch.invokes++;
    batch.lastRequestId = requestId;
    count('invocations');
    count('delivered', batch.records.length);

    let failedAt: number | null;
    try {
      const response = await this.handler({ Records: batch.records.map((p) => p.record) }, context);
      failedAt = this.options.reportBatchItemFailures ? this.checkpoint(batch.records, response) : null;
      batch.lastThrew = false;
    } catch {
      count('errors');
      failedAt = 0;
      batch.lastThrew = true;
    }

    if (failedAt === null) {
      count('processed', batch.records.length);
      shard.batches.shift();
      return;
    }
    count('processed', failedAt);
    const rest = batch.records.slice(failedAt);
    batch.records = rest;
    if (this.options.bisectBatchOnError && failedAt > 0) {
      // Split at the checkpoint: only the rest is retried, and no retry is spent.
      count('bisected');
      return;
    }
    if (this.options.bisectBatchOnError && rest.length > 1) {
      const half = Math.ceil(rest.length / 2);
      const second: Batch = { ...batch, records: rest.slice(half) };
      batch.records = rest.slice(0, half);
      shard.batches.splice(1, 0, second);
      count('bisected');
      return;
    }
    batch.retries++;
    if (batch.retries > this.options.retryAttempts) {
      this.giveUp(shard, batch, rest, 'RetryAttemptsExhausted', count);
      shard.batches.shift();
      return;
    }
    count('retried');
  }

  /**
   * Where a handler's response puts the checkpoint: null when the batch succeeded, else the index of
   * the first record to retry (0 — the whole batch — for an empty or unknown identifier).
   */
  private checkpoint(records: readonly Polled[], response: unknown): number | null {
    if (typeof response !== 'object' || response === null || !('batchItemFailures' in response)) return null;
    const failures = (response as { batchItemFailures: unknown }).batchItemFailures;
    if (!Array.isArray(failures) || failures.length === 0) return null;
    const index = new Map(records.map((p, i) => [p.sequenceNumber, i] as const));
    let lowest = records.length;
    for (const failure of failures) {
      const id: unknown =
        typeof failure === 'object' && failure !== null && 'itemIdentifier' in failure
          ? failure.itemIdentifier
          : undefined;
      const at = typeof id === 'string' && id !== '' ? index.get(id) : undefined;
      if (at === undefined) return 0;
      lowest = Math.min(lowest, at);
    }
    return lowest;
  }

  /** How many leading records are older than maxRecordAgeSeconds (a shard's records are in age order). */
  private expiredPrefix(records: readonly Polled[]): number {
    if (this.options.maxRecordAgeSeconds === -1) return 0;
    const oldest = this.options.clock.now() - this.options.maxRecordAgeSeconds * 1000;
    let n = 0;
    for (const p of records) {
      if (p.createdMs === undefined || p.createdMs >= oldest) break;
      n++;
    }
    return n;
  }

  private giveUp(
    shard: Shard,
    batch: Batch,
    records: readonly Polled[],
    condition: StreamFailureRecord['requestContext']['condition'],
    count: (key: keyof StreamDrainResult, n?: number) => void,
  ): void {
    const first = records[0];
    const last = records[records.length - 1];
    if (first === undefined || last === undefined) return;
    count('givenUp', records.length);
    const onFailure = this.options.onFailure;
    if (onFailure === undefined) return;
    const body: StreamFailureRecord = {
      requestContext: {
        requestId:
          batch.lastRequestId ??
          deterministicUuid(`lambda-stream-failure:${this.options.functionName}`, failureCount++),
        functionArn: this.functionArn,
        condition,
        approximateInvokeCount: batch.invokes,
      },
      ...(batch.invokes === 0
        ? {}
        : {
            responseContext: {
              statusCode: 200,
              executedVersion: '$LATEST',
              ...(batch.lastThrew ? { functionError: 'Unhandled' } : {}),
            },
          }),
      version: '1.0',
      timestamp: new Date(this.options.clock.now()).toISOString(),
      DDBStreamBatchInfo: {
        shardId: shard.id,
        startSequenceNumber: first.sequenceNumber,
        endSequenceNumber: last.sequenceNumber,
        approximateArrivalOfFirstRecord: isoSeconds(first.createdMs),
        approximateArrivalOfLastRecord: isoSeconds(last.createdMs),
        batchSize: records.length,
        streamArn: this.streamArn,
      },
    };
    onFailure.send(JSON.stringify(body));
    count('failureRecords');
  }
}

/** The mapping options of a function's stream trigger in the wiring (without clock and destination). */
export function wiredStreamOptions(fn: FunctionWiring, trigger: StreamTrigger): WiredStreamOptions {
  return {
    batchSize: trigger.batchSize,
    bisectBatchOnError: trigger.bisectBatchOnError,
    retryAttempts: trigger.retryAttempts,
    maxRecordAgeSeconds: trigger.maxRecordAgeSeconds,
    reportBatchItemFailures: trigger.reportBatchItemFailures,
    functionName: fn.id,
    timeoutSeconds: fn.timeoutSeconds,
    memoryMb: fn.memoryMb,
  };
}
