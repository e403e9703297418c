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
 * - with `tumblingWindowSeconds`, each record belongs to the window its `ApproximateCreationDateTime`
 *   falls in (windows aligned on the epoch); a batch never spans two windows; each invocation gets the
 *   window, the `state` the previous invocation of the window returned (`{}` at its start) and must
 *   return a `state` (a response without one is a failed invocation). The window's final invocation
 *   (`isFinalInvokeForWindow`, no records) comes when a record of a later window is next, or when the
 *   clock has passed the window's end; a state over 1 MB ends the window early
 *   (`isWindowTerminatedEarly`) and the same window goes on with a fresh state. A final invocation that
 *   fails is retried (Lambda holds the shard until it succeeds; here up to `retryAttempts` times, then
 *   the window's state is dropped and counted);
 * - with `maxBatchingWindowSeconds`, records wait until a full batch is there, the first of them has
 *   waited that long by the clock, or their tumbling window has ended.
 *
 * Nothing waits in real time: retries follow each other at once, and `drain()` returns when a poll finds
 * nothing new and no batch is ready. The caller owns time; `flush()` invokes whatever waits and closes
 * every open window, as if time had passed. Not modelled: `parallelizationFactor` (one batch per shard
 * at a time), retry backoff, filters, and infinite retries (`retryAttempts: -1`).
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
  /** TumblingWindowInSeconds (1–900); 0 or absent: no windows. */
  tumblingWindowSeconds?: number;
  /**
   * MaximumBatchingWindowInSeconds (0–300): how long records wait for a full batch. Absent or 0: a
   * batch is invoked as soon as its records are polled.
   */
  maxBatchingWindowSeconds?: number;
}

/** What a tumbling window adds to the event (Lambda Developer Guide, "stateful stream processing"). */
export interface StreamWindowFields {
  window: { start: string; end: string };
  state: Record<string, unknown>;
  shardId: string;
  eventSourceARN: string;
  isFinalInvokeForWindow: boolean;
  isWindowTerminatedEarly: boolean;
}

/** Lambda ends a window early when its state grows over this (1 MB). */
export const MAX_WINDOW_STATE_BYTES = 1024 * 1024;

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
  | 'tumblingWindowSeconds'
  | 'maxBatchingWindowSeconds'
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
  /** Final invocations of tumbling windows (also counted in `invocations`). */
  windowsClosed: number;
  /** Windows whose state was dropped: their final invocation failed past `retryAttempts`. */
  windowsGivenUp: number;
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
  /** When it was polled, by the clock (the batching window counts from there). */
  readonly polledMs: number;
  /** Start of its tumbling window (epoch ms); 0 without windows. */
  readonly windowStart: number;
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

interface OpenWindow {
  readonly start: number;
  readonly end: number;
  state: Record<string, unknown>;
  /** Failed final invocations so far. */
  finalRetries: number;
}

interface Shard {
  readonly id: string;
  /** Polled, not in a batch yet. */
  readonly waiting: Polled[];
  /** Batches cut and not finished, the head first (more than one after a split). */
  readonly batches: Batch[];
  /** The tumbling window its invocations are in, once one opened. */
  window: OpenWindow | undefined;
}

type Count = (key: keyof StreamDrainResult, n?: number) => void;

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
    windowsClosed: 0,
    windowsGivenUp: 0,
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
  /** Tumbling window length, 0 without windows. */
  private readonly windowMs: number;
  private readonly batchingMs: number;

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
    const tumbling = options.tumblingWindowSeconds ?? 0;
    if (!integerIn(tumbling, 0, 900)) {
      throw new RangeError(`tumblingWindowSeconds must be from 0 to 900, got ${tumbling}`);
    }
    const batching = options.maxBatchingWindowSeconds ?? 0;
    if (!integerIn(batching, 0, 300)) {
      throw new RangeError(`maxBatchingWindowSeconds must be from 0 to 300, got ${batching}`);
    }
    this.windowMs = tumbling * 1000;
    this.batchingMs = batching * 1000;
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
   * retries and splits right away — until a poll returns no record and no batch is ready.
   */
  drain(): Promise<StreamDrainResult> {
    return this.run(false);
  }

  /**
   * `drain()`, then every record still waiting for its batching window is invoked and every open
   * tumbling window is closed (its final invocation), as if time had passed until each ended: the end
   * of a run.
   */
  flush(): Promise<StreamDrainResult> {
    return this.run(true);
  }

  private async run(force: boolean): Promise<StreamDrainResult> {
    if (this.draining) throw new Error('drain() is already running');
    this.draining = true;
    const result = zero();
    const count: Count = (key, n = 1) => {
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
        if (polled === 0 && !this.hasWork(force)) return result;
        while (this.hasWork(force)) {
          for (const shard of this.shards.values()) {
            if (this.ready(shard, force)) await this.step(shard, count, force);
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private hasWork(force: boolean): boolean {
    for (const shard of this.shards.values()) if (this.ready(shard, force)) return true;
    return false;
  }

  /** Whether the shard has a batch to invoke or a window to close now. */
  private ready(shard: Shard, force: boolean): boolean {
    return shard.batches.length > 0 || this.cutNow(shard, force) > 0 || this.windowDue(shard, force);
  }

  private accept(batch: StreamBatch): number {
    let shard = this.shards.get(batch.shardId);
    if (shard === undefined) {
      shard = { id: batch.shardId, waiting: [], batches: [], window: undefined };
      this.shards.set(batch.shardId, shard);
    }
    const now = this.options.clock.now();
    for (const polled of batch.records) {
      const raw = this.options.recordTime === undefined ? polled : this.options.recordTime(polled);
      const record = toDynamoDBRecord(raw, this.streamArn);
      const createdMs = raw.dynamodb?.ApproximateCreationDateTime?.getTime();
      const at = createdMs ?? now;
      shard.waiting.push({
        record,
        sequenceNumber: raw.dynamodb?.SequenceNumber ?? '',
        createdMs,
        bytes: Buffer.byteLength(JSON.stringify(record), 'utf8'),
        polledMs: now,
        windowStart: this.windowMs === 0 ? 0 : at - (at % this.windowMs),
      });
    }
    return batch.records.length;
  }

  /**
   * How many waiting records make the next batch, if it is to be invoked now; 0 when there is none or
   * it waits for its batching window.
   */
  private cutNow(shard: Shard, force: boolean): number {
    const first = shard.waiting[0];
    if (first === undefined) return 0;
    let bytes = 0;
    let n = 0;
    let full = false;
    for (const p of shard.waiting) {
      if (p.windowStart !== first.windowStart) {
        // A later window's record is next: this window's records go now.
        full = true;
        break;
      }
      if (n === this.options.batchSize || (n > 0 && bytes + p.bytes > MAX_LAMBDA_PAYLOAD_BYTES)) {
        full = true;
        break;
      }
      bytes += p.bytes;
      n++;
    }
    if (n === this.options.batchSize) full = true;
    if (force || full || this.batchingMs === 0) return n;
    const now = this.options.clock.now();
    const windowEnded = this.windowMs > 0 && now >= first.windowStart + this.windowMs;
    return windowEnded || now >= first.polledMs + this.batchingMs ? n : 0;
  }

  /** Whether the shard's open window is to be closed now: its records are done and its end passed. */
  private windowDue(shard: Shard, force: boolean): boolean {
    const open = shard.window;
    if (open === undefined || shard.batches.length > 0) return false;
    const next = shard.waiting[0];
    if (next !== undefined && next.windowStart === open.start) return false;
    return force || next !== undefined || this.options.clock.now() >= open.end;
  }

  /** The shard's head batch, cut from the waiting records when there is none and one is ready. */
  private head(shard: Shard, force: boolean): Batch | undefined {
    const current = shard.batches[0];
    if (current !== undefined) return current;
    const n = this.cutNow(shard, force);
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

  private context(): { requestId: string; context: Context } {
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
    return { requestId, context };
  }

  private windowFields(shard: Shard, open: OpenWindow, final: boolean, early: boolean): StreamWindowFields {
    return {
      window: { start: isoSeconds(open.start), end: isoSeconds(open.end) },
      state: open.state,
      shardId: shard.id,
      eventSourceARN: this.streamArn,
      isFinalInvokeForWindow: final,
      isWindowTerminatedEarly: early,
    };
  }

  /** A response's state when it has one (a tumbling window's invocation fails without). */
  private static stateOf(response: unknown): Record<string, unknown> | undefined {
    if (typeof response !== 'object' || response === null || !('state' in response)) return undefined;
    const state: unknown = response.state;
    return typeof state === 'object' && state !== null && !Array.isArray(state)
      ? (state as Record<string, unknown>)
      : undefined;
  }

  /** The final invocation of the shard's open window; the window closes when it succeeds. */
  private async closeWindow(shard: Shard, open: OpenWindow, early: boolean, count: Count): Promise<void> {
    const { context } = this.context();
    count('invocations');
    let ok: boolean;
    try {
      const response = await this.handler(
        { Records: [], ...this.windowFields(shard, open, true, early) } as DynamoDBStreamEvent,
        context,
      );
      ok = StreamEventSource.stateOf(response) !== undefined;
    } catch {
      ok = false;
    }
    if (!ok) {
      count('errors');
      open.finalRetries++;
      if (open.finalRetries <= this.options.retryAttempts) {
        count('retried');
        return;
      }
      count('windowsGivenUp');
    } else {
      count('windowsClosed');
    }
    if (early && ok) {
      // The same window goes on with a fresh state.
      open.state = {};
      open.finalRetries = 0;
    } else {
      shard.window = undefined;
    }
  }

  /** One step of a shard: closes its window, drops expired records, or invokes the head batch once. */
  private async step(shard: Shard, count: Count, force: boolean): Promise<void> {
    const batch = this.head(shard, force);
    const open = shard.window;
    if (open !== undefined && (batch === undefined || batch.records[0]?.windowStart !== open.start)) {
      if (batch !== undefined || this.windowDue(shard, force))
        await this.closeWindow(shard, open, false, count);
      return;
    }
    if (batch === undefined) return;

    const expired = this.expiredPrefix(batch.records);
    if (expired > 0) {
      this.giveUp(shard, batch, batch.records.slice(0, expired), 'RecordAgeExceeded', count);
      batch.records = batch.records.slice(expired);
      if (batch.records.length === 0) shard.batches.shift();
      return;
    }

    let window: OpenWindow | undefined;
    if (this.windowMs > 0) {
      const start = batch.records[0]?.windowStart ?? 0;
      window = open ?? { start, end: start + this.windowMs, state: {}, finalRetries: 0 };
      shard.window = window;
    }
    const { requestId, context } = this.context();
    batch.invokes++;
    batch.lastRequestId = requestId;
    count('invocations');
    count('delivered', batch.records.length);

    let failedAt: number | null;
    try {
      const records = batch.records.map((p) => p.record);
      const event =
        window === undefined
          ? { Records: records }
          : { Records: records, ...this.windowFields(shard, window, false, false) };
      const response = await this.handler(event as DynamoDBStreamEvent, context);
      const state = window === undefined ? undefined : StreamEventSource.stateOf(response);
      if (window !== undefined && state === undefined) {
        // A tumbling window's response must carry the state: without it the invocation failed.
        count('errors');
        failedAt = 0;
        batch.lastThrew = true;
      } else {
        if (window !== undefined && state !== undefined) window.state = state;
        failedAt = this.options.reportBatchItemFailures ? this.checkpoint(batch.records, response) : null;
        batch.lastThrew = false;
      }
    } catch {
      count('errors');
      failedAt = 0;
      batch.lastThrew = true;
    }

    if (
      window !== undefined &&
      Buffer.byteLength(JSON.stringify(window.state), 'utf8') > MAX_WINDOW_STATE_BYTES
    ) {
      await this.closeWindow(shard, window, true, count);
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
    count: Count,
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

/**
 * The mapping options of a function's stream trigger in the wiring (without clock and destination).
 * Records held by a batching window wait until the caller's clock moves: the embedded stack's moves
 * between settles, which suits the stats λ (its counts can wait) and is why the real-time relay has
 * no window (test/infra/wiring.test.ts).
 */
export function wiredStreamOptions(fn: FunctionWiring, trigger: StreamTrigger): WiredStreamOptions {
  return {
    batchSize: trigger.batchSize,
    bisectBatchOnError: trigger.bisectBatchOnError,
    retryAttempts: trigger.retryAttempts,
    maxRecordAgeSeconds: trigger.maxRecordAgeSeconds,
    reportBatchItemFailures: trigger.reportBatchItemFailures,
    tumblingWindowSeconds: trigger.tumblingWindowSeconds,
    maxBatchingWindowSeconds: trigger.maxBatchingWindowSeconds,
    functionName: fn.id,
    timeoutSeconds: fn.timeoutSeconds,
    memoryMb: fn.memoryMb,
  };
}
