/**
 * In-process SQS (standard queue) on the stack's `Clock`, with the semantics the engine relies on:
 * SendMessage / SendMessageBatch limits (10 entries, 256 KiB), DelaySeconds, visibility timeout and
 * redelivery, ApproximateReceiveCount, redrive to a DLQ after `maxReceiveCount` receives, retention,
 * and `pollToHandler`: Lambda's SQS event source mapping with partial batch responses.
 *
 * Standard queues are unordered; this one is deterministic instead: messages come out by the instant
 * they became visible, then by send order.
 */
import { createHash } from 'node:crypto';
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import type { FunctionWiring, QueueId, SqsTrigger } from '../../lib/wiring.ts';
import { QUEUES, visibilityTimeoutSeconds } from '../../lib/wiring.ts';
import type { Clock } from './clock.ts';
import { MinHeap } from './heap.ts';
import { DEFAULT_ACCOUNT, DEFAULT_REGION, deterministicUuid, makeLambdaContext } from './lambda.ts';

export const MAX_MESSAGE_BYTES = 256 * 1024;
export const MAX_BATCH_ENTRIES = 10;
export const MAX_RECEIVE = 10;
export const MAX_DELAY_SECONDS = 900;
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 12 * 3600;
/** Lambda's synchronous invocation payload limit, which caps a batch handed to a handler. */
export const MAX_LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** An error shaped like the SDK's service exceptions (`name` is the SQS error code). */
export class SqsError extends Error {
  readonly $fault = 'client' as const;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export interface LocalQueueOptions {
  name: string;
  /** Default 30 s, like SQS. */
  visibilityTimeoutSeconds?: number;
  /** Default 4 days, like SQS. */
  retentionSeconds?: number;
  /** Queue-level DelaySeconds (default 0). */
  delaySeconds?: number;
  /** Redrive policy: after this many receives the next receive moves the message to `deadLetterQueue`. */
  redrive?: { deadLetterQueue: LocalQueue; maxReceiveCount: number };
  account?: string;
  region?: string;
}

export interface SendOptions {
  delaySeconds?: number;
  attributes?: Record<string, MessageAttributeValue>;
}

export interface SendResult {
  MessageId: string;
  MD5OfMessageBody: string;
}

export interface SendBatchEntry extends SendOptions {
  /** Unique within the call. */
  id: string;
  body: string;
}

export interface SendBatchResult {
  Successful: (SendResult & { Id: string })[];
  Failed: { Id: string; SenderFault: boolean; Code: string; Message: string }[];
}

/** A received message, as ReceiveMessage returns it. */
export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  /** ApproximateReceiveCount, SentTimestamp, ApproximateFirstReceiveTimestamp, SenderId, … */
  attributes: Record<string, string>;
  messageAttributes: Record<string, MessageAttributeValue>;
}

export interface QueueStats {
  /** ApproximateNumberOfMessages. */
  visible: number;
  /** ApproximateNumberOfMessagesNotVisible. */
  inFlight: number;
  /** ApproximateNumberOfMessagesDelayed. */
  delayed: number;
}

/** Calls made to the queue, the way SQS bills them (one per API request). */
export interface QueueCalls {
  sendMessage: number;
  sendMessageBatch: number;
  receiveMessage: number;
  deleteMessage: number;
  changeMessageVisibility: number;
}

interface StoredMessage {
  readonly messageId: string;
  readonly seq: number;
  readonly body: string;
  readonly md5: string;
  readonly attributes: Record<string, MessageAttributeValue>;
  readonly sentMs: number;
  readonly deadLetterSourceArn: string | undefined;
  /** When it is (or becomes) receivable. */
  visibleMs: number;
  receiveCount: number;
  firstReceiveMs: number | null;
  receiptHandle: string | null;
  inFlight: boolean;
  /** Bumped on every change, so stale heap entries can be told apart. */
  version: number;
}

interface HeapEntry {
  readonly msg: StoredMessage;
  readonly visibleMs: number;
  readonly version: number;
}

function entryBefore(a: HeapEntry, b: HeapEntry): boolean {
  return a.visibleMs < b.visibleMs || (a.visibleMs === b.visibleMs && a.msg.seq < b.msg.seq);
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/** Bytes SQS counts for a message: the body plus each attribute's name, type and value. */
export function messageSize(body: string, attributes: Record<string, MessageAttributeValue> = {}): number {
  let bytes = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType ?? '', 'utf8');
    if (value.StringValue !== undefined) bytes += Buffer.byteLength(value.StringValue, 'utf8');
    if (value.BinaryValue !== undefined) bytes += value.BinaryValue.byteLength;
  }
  return bytes;
}

function checkSeconds(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new SqsError(
      'InvalidParameterValue',
      `Value ${value} for parameter ${what} is invalid. Reason: must be an integer from 0 to ${max}.`,
    );
  }
}

function checkAttributes(attributes: Record<string, MessageAttributeValue>): void {
  const names = Object.keys(attributes);
  if (names.length > 10)
    throw new SqsError('InvalidParameterValue', 'Number of message attributes cannot exceed 10.');
  for (const [name, value] of Object.entries(attributes)) {
    const type = value.DataType ?? '';
    if (!/^(String|Number|Binary)(\..+)?$/.test(type)) {
      throw new SqsError(
        'InvalidParameterValue',
        `The message attribute '${name}' has an invalid data type '${type}'.`,
      );
    }
    const isBinary = type.startsWith('Binary');
    if (isBinary ? value.BinaryValue === undefined : value.StringValue === undefined) {
      throw new SqsError(
        'InvalidParameterValue',
        `The message attribute '${name}' must contain a non-empty value of type '${type}'.`,
      );
    }
  }
}

export class LocalQueue {
  readonly name: string;
  readonly arn: string;
  readonly url: string;
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  readonly delaySeconds: number;
  readonly redrive: { deadLetterQueue: LocalQueue; maxReceiveCount: number } | undefined;
  readonly region: string;
  readonly calls: QueueCalls = {
    sendMessage: 0,
    sendMessageBatch: 0,
    receiveMessage: 0,
    deleteMessage: 0,
    changeMessageVisibility: 0,
  };

  private readonly messages = new Map<string, StoredMessage>();
  private readonly byHandle = new Map<string, StoredMessage>();
  private readonly heap = new MinHeap<HeapEntry>(entryBefore);
  private readonly sendListeners: ((message: ReceivedMessage) => void)[] = [];
  private seq = 0;
  private handles = 0;
  private expired = 0;

  constructor(
    readonly clock: Clock,
    options: LocalQueueOptions,
  ) {
    const account = options.account ?? DEFAULT_ACCOUNT;
    this.region = options.region ?? DEFAULT_REGION;
    this.name = options.name;
    this.arn = `arn:aws:sqs:${this.region}:${account}:${options.name}`;
    this.url = `https://sqs.${this.region}.amazonaws.com/${account}/${options.name}`;
    this.visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 30;
    this.retentionSeconds = options.retentionSeconds ?? 4 * 24 * 3600;
    this.delaySeconds = options.delaySeconds ?? 0;
    checkSeconds(this.visibilityTimeoutSeconds, MAX_VISIBILITY_TIMEOUT_SECONDS, 'VisibilityTimeout');
    checkSeconds(this.delaySeconds, MAX_DELAY_SECONDS, 'DelaySeconds');
    if (options.redrive !== undefined) {
      const { maxReceiveCount } = options.redrive;
      if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
        throw new SqsError(
          'InvalidParameterValue',
          `maxReceiveCount must be from 1 to 1000, got ${maxReceiveCount}`,
        );
      }
      if (options.redrive.deadLetterQueue === this)
        throw new SqsError('InvalidParameterValue', 'a queue cannot be its own DLQ');
    }
    this.redrive = options.redrive;
  }

  /** Called with every message accepted by the queue (sent, or moved here as a dead letter). */
  onSend(listener: (message: ReceivedMessage) => void): void {
    this.sendListeners.push(listener);
  }

  send(body: string, options: SendOptions = {}): SendResult {
    this.calls.sendMessage++;
    this.validate(body, options);
    return this.enqueue(body, options, undefined);
  }

  /** SendMessageBatch: at most 10 entries and 256 KiB in all; an invalid entry fails alone. */
  sendBatch(entries: readonly SendBatchEntry[]): SendBatchResult {
    this.calls.sendMessageBatch++;
    if (entries.length === 0)
      throw new SqsError(
        'EmptyBatchRequest',
        'There should be at least one SendMessageBatchRequestEntry in the request.',
      );
    if (entries.length > MAX_BATCH_ENTRIES) {
      throw new SqsError(
        'TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`,
      );
    }
    const ids = new Set(entries.map((e) => e.id));
    if (ids.size !== entries.length)
      throw new SqsError(
        'BatchEntryIdsNotDistinct',
        'Two or more batch entries in the request have the same Id.',
      );
    const total = entries.reduce((sum, e) => sum + messageSize(e.body, e.attributes), 0);
    if (total > MAX_MESSAGE_BYTES) {
      throw new SqsError(
        'BatchRequestTooLong',
        `Batch requests cannot be longer than ${MAX_MESSAGE_BYTES} bytes. You have sent ${total} bytes.`,
      );
    }
    const result: SendBatchResult = { Successful: [], Failed: [] };
    for (const entry of entries) {
      try {
        if (!/^[\w-]{1,80}$/.test(entry.id))
          throw new SqsError(
            'InvalidBatchEntryId',
            `A batch entry id can only contain alphanumeric characters, hyphens and underscores (${entry.id}).`,
          );
        this.validate(entry.body, entry);
        result.Successful.push({ Id: entry.id, ...this.enqueue(entry.body, entry, undefined) });
      } catch (error) {
        if (!(error instanceof SqsError)) throw error;
        result.Failed.push({ Id: entry.id, SenderFault: true, Code: error.code, Message: error.message });
      }
    }
    return result;
  }

  /**
   * ReceiveMessage: up to `max` (1–10) visible messages, each then invisible for the visibility
   * timeout, its receive count incremented. A message already received `maxReceiveCount` times moves
   * to the DLQ instead of being delivered.
   */
  receive(max = 1, options: { visibilityTimeoutSeconds?: number } = {}): ReceivedMessage[] {
    this.calls.receiveMessage++;
    if (!Number.isInteger(max) || max < 1 || max > MAX_RECEIVE) {
      throw new SqsError(
        'InvalidParameterValue',
        `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: must be between 1 and 10.`,
      );
    }
    const visibility = options.visibilityTimeoutSeconds ?? this.visibilityTimeoutSeconds;
    checkSeconds(visibility, MAX_VISIBILITY_TIMEOUT_SECONDS, 'VisibilityTimeout');
    const now = this.clock.now();
    const out: ReceivedMessage[] = [];
    while (out.length < max) {
      const msg = this.popVisible(now);
      if (msg === undefined) break;
      if (this.redrive !== undefined && msg.receiveCount >= this.redrive.maxReceiveCount) {
        this.remove(msg);
        this.redrive.deadLetterQueue.acceptDeadLetter(msg, this.arn);
        continue;
      }
      msg.receiveCount++;
      msg.firstReceiveMs ??= now;
      if (msg.receiptHandle !== null) this.byHandle.delete(msg.receiptHandle);
      msg.receiptHandle = `${msg.messageId}#${++this.handles}`;
      this.byHandle.set(msg.receiptHandle, msg);
      msg.inFlight = true;
      this.schedule(msg, now + visibility * 1000);
      out.push(this.view(msg, msg.receiptHandle));
    }
    return out;
  }

  /** DeleteMessage. Only the latest receipt handle of a message deletes it; returns whether it did. */
  delete(receiptHandle: string): boolean {
    this.calls.deleteMessage++;
    const msg = this.byHandle.get(receiptHandle);
    if (msg === undefined) return false;
    this.remove(msg);
    return true;
  }

  /** ChangeMessageVisibility: the message becomes visible `seconds` from now (0 = right away). */
  changeVisibility(receiptHandle: string, seconds: number): void {
    this.calls.changeMessageVisibility++;
    checkSeconds(seconds, MAX_VISIBILITY_TIMEOUT_SECONDS, 'VisibilityTimeout');
    const msg = this.byHandle.get(receiptHandle);
    if (msg === undefined)
      throw new SqsError('ReceiptHandleIsInvalid', `The receipt handle "${receiptHandle}" is not valid.`);
    const now = this.clock.now();
    if (!msg.inFlight || msg.visibleMs <= now)
      throw new SqsError('MessageNotInflight', 'The message is not in flight.');
    this.schedule(msg, now + seconds * 1000);
  }

  /** Every message the queue holds: visible, in flight and delayed. */
  approximateDepth(): number {
    return this.messages.size;
  }

  stats(): QueueStats {
    const now = this.clock.now();
    const stats: QueueStats = { visible: 0, inFlight: 0, delayed: 0 };
    for (const msg of this.messages.values()) {
      if (msg.visibleMs <= now) stats.visible++;
      else if (msg.inFlight) stats.inFlight++;
      else stats.delayed++;
    }
    return stats;
  }

  /** The earliest instant a held message becomes visible, or null when the queue is empty. */
  nextVisibleAt(): number | null {
    let next: number | null = null;
    for (const msg of this.messages.values()) if (next === null || msg.visibleMs < next) next = msg.visibleMs;
    return next;
  }

  /** Messages dropped because they outlived the retention period. */
  expiredCount(): number {
    return this.expired;
  }

  /** The messages held, in delivery order, without receiving them (for inspection and tests). */
  peekAll(): ReceivedMessage[] {
    return [...this.messages.values()]
      .sort((a, b) => a.visibleMs - b.visibleMs || a.seq - b.seq)
      .map((m) => this.view(m, m.receiptHandle ?? ''));
  }

  purge(): void {
    this.messages.clear();
    this.byHandle.clear();
    while (this.heap.pop() !== undefined) {
      /* drain */
    }
  }

  private acceptDeadLetter(source: StoredMessage, sourceArn: string): void {
    this.enqueueStored(
      source.messageId,
      source.body,
      source.attributes,
      source.sentMs,
      this.clock.now(),
      sourceArn,
    );
  }

  private validate(body: string, options: SendOptions): void {
    if (body.length === 0)
      throw new SqsError('InvalidParameterValue', 'The request must contain the parameter MessageBody.');
    if (options.delaySeconds !== undefined)
      checkSeconds(options.delaySeconds, MAX_DELAY_SECONDS, 'DelaySeconds');
    const attributes = options.attributes ?? {};
    checkAttributes(attributes);
    const size = messageSize(body, attributes);
    if (size > MAX_MESSAGE_BYTES) {
      throw new SqsError(
        'InvalidParameterValue',
        `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes (${size}).`,
      );
    }
  }

  private enqueue(body: string, options: SendOptions, deadLetterSourceArn: string | undefined): SendResult {
    const now = this.clock.now();
    const delay = options.delaySeconds ?? this.delaySeconds;
    const messageId = deterministicUuid(this.arn, this.seq);
    const msg = this.enqueueStored(
      messageId,
      body,
      options.attributes ?? {},
      now,
      now + delay * 1000,
      deadLetterSourceArn,
    );
    return { MessageId: msg.messageId, MD5OfMessageBody: msg.md5 };
  }

  private enqueueStored(
    messageId: string,
    body: string,
    attributes: Record<string, MessageAttributeValue>,
    sentMs: number,
    visibleMs: number,
    deadLetterSourceArn: string | undefined,
  ): StoredMessage {
    const msg: StoredMessage = {
      messageId,
      seq: this.seq++,
      body,
      md5: md5(body),
      attributes,
      sentMs,
      deadLetterSourceArn,
      visibleMs,
      receiveCount: 0,
      firstReceiveMs: null,
      receiptHandle: null,
      inFlight: false,
      version: 0,
    };
    this.messages.set(messageId, msg);
    this.heap.push({ msg, visibleMs, version: 0 });
    if (this.sendListeners.length > 0) {
      const view = this.view(msg, '');
      for (const listener of this.sendListeners) listener(view);
    }
    return msg;
  }

  private schedule(msg: StoredMessage, visibleMs: number): void {
    msg.visibleMs = visibleMs;
    msg.version++;
    this.heap.push({ msg, visibleMs, version: msg.version });
  }

  private popVisible(now: number): StoredMessage | undefined {
    for (let top = this.heap.peek(); top !== undefined; top = this.heap.peek()) {
      if (
        top.version !== top.msg.version ||
        !this.messages.has(top.msg.messageId) ||
        this.messages.get(top.msg.messageId) !== top.msg
      ) {
        this.heap.pop();
        continue;
      }
      if (top.visibleMs > now) return undefined;
      this.heap.pop();
      if (top.msg.sentMs + this.retentionSeconds * 1000 <= now) {
        this.remove(top.msg);
        this.expired++;
        continue;
      }
      return top.msg;
    }
    return undefined;
  }

  private remove(msg: StoredMessage): void {
    this.messages.delete(msg.messageId);
    if (msg.receiptHandle !== null) this.byHandle.delete(msg.receiptHandle);
    msg.version++;
  }

  private view(msg: StoredMessage, receiptHandle: string): ReceivedMessage {
    const attributes: Record<string, string> = {
      ApproximateReceiveCount: String(msg.receiveCount),
      SentTimestamp: String(msg.sentMs),
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: String(msg.firstReceiveMs ?? msg.sentMs),
    };
    if (msg.deadLetterSourceArn !== undefined) attributes.DeadLetterQueueSourceArn = msg.deadLetterSourceArn;
    return {
      messageId: msg.messageId,
      receiptHandle,
      body: msg.body,
      md5OfBody: msg.md5,
      attributes,
      messageAttributes: msg.attributes,
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Queues from the wiring
// ---------------------------------------------------------------------------------------------------------

export interface WiredQueues {
  queues: Record<QueueId, LocalQueue>;
  /** `<id>-dlq` for each queue with a `maxReceiveCount`. */
  deadLetterQueues: Partial<Record<QueueId, LocalQueue>>;
}

/** Every queue of `lib/wiring.ts`, with its DLQ (14 days), retention, visibility and maxReceiveCount. */
export function createWiredQueues(
  clock: Clock,
  options: { prefix?: string; account?: string; region?: string } = {},
): WiredQueues {
  const prefix = options.prefix ?? 'loyalty-triggers';
  const base = {
    ...(options.account === undefined ? {} : { account: options.account }),
    ...(options.region === undefined ? {} : { region: options.region }),
  };
  const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const queues: Partial<Record<QueueId, LocalQueue>> = {};
  const deadLetterQueues: Partial<Record<QueueId, LocalQueue>> = {};
  for (const wiring of Object.values(QUEUES)) {
    let redrive: LocalQueueOptions['redrive'];
    if (wiring.maxReceiveCount !== null) {
      const dlq = new LocalQueue(clock, {
        ...base,
        name: `${prefix}-${kebab(wiring.id)}-dlq`,
        retentionSeconds: 14 * 86400,
      });
      deadLetterQueues[wiring.id] = dlq;
      redrive = { deadLetterQueue: dlq, maxReceiveCount: wiring.maxReceiveCount };
    }
    queues[wiring.id] = new LocalQueue(clock, {
      ...base,
      name: `${prefix}-${kebab(wiring.id)}`,
      retentionSeconds: wiring.retentionDays * 86400,
      visibilityTimeoutSeconds: visibilityTimeoutSeconds(wiring.id),
      ...(redrive === undefined ? {} : { redrive }),
    });
  }
  return { queues: queues as Record<QueueId, LocalQueue>, deadLetterQueues };
}

// ---------------------------------------------------------------------------------------------------------
// Lambda's SQS event source mapping
// ---------------------------------------------------------------------------------------------------------

/** Any SQS handler: its result is read as an `SQSBatchResponse` when it has `batchItemFailures`. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<unknown> | unknown;

export interface PollOptions {
  /** The mapping's BatchSize (1–10000). */
  batchSize: number;
  /**
   * MaximumBatchingWindowInSeconds. The poller does not wait on the simulated clock: a caller that wants
   * fuller batches advances the clock by this much between polls (`pollerIntervalMs` gives the value).
   */
  maxBatchingWindowSeconds?: number;
  functionName?: string;
  timeoutSeconds?: number;
  memoryMb?: number;
  /** Whether the handler's `batchItemFailures` are honoured (default true; wiring always sets it). */
  reportBatchItemFailures?: boolean;
}

export interface PollResult {
  /** Whether the handler ran (false when nothing was visible). */
  invoked: boolean;
  received: number;
  deleted: number;
  /** Records left to reappear after the visibility timeout. */
  failed: number;
  /** The handler threw (the whole batch failed). */
  error?: unknown;
}

/** How long a poller waits between empty polls: the batching window, at least one second. */
export function pollerIntervalMs(options: Pick<PollOptions, 'maxBatchingWindowSeconds'>): number {
  return Math.max(1, options.maxBatchingWindowSeconds ?? 0) * 1000;
}

function toRecordAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    out[name] = {
      dataType: value.DataType ?? 'String',
      stringListValues: [],
      binaryListValues: [],
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined
        ? {}
        : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
    };
  }
  return out;
}

export function toSqsRecord(queue: LocalQueue, message: ReceivedMessage): SQSRecord {
  const a = message.attributes;
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? '0',
      SenderId: a.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? '0',
      ...(a.DeadLetterQueueSourceArn === undefined
        ? {}
        : { DeadLetterQueueSourceArn: a.DeadLetterQueueSourceArn }),
    },
    messageAttributes: toRecordAttributes(message.messageAttributes),
    md5OfBody: message.md5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: queue.region,
  };
}

function failedIds(result: unknown): string[] | null {
  if (typeof result !== 'object' || result === null || !('batchItemFailures' in result)) return null;
  const failures = (result as SQSBatchResponse).batchItemFailures;
  if (!Array.isArray(failures)) return null;
  return failures.map((f) => f.itemIdentifier);
}

let invocations = 0;

/**
 * One poll of the event source mapping: receives up to `batchSize` visible messages (10 per
 * ReceiveMessage, at most 6 MB of payload), invokes the handler with an `SQSEvent` and a Lambda-like
 * context, then deletes every record not listed in `batchItemFailures`. Listed records, and every
 * record when the handler throws or reports an unknown id (Lambda then fails the whole batch), stay
 * in flight and reappear after the visibility timeout; redrive moves them to the DLQ.
 */
export async function pollToHandler(
  queue: LocalQueue,
  handler: SqsHandler,
  options: PollOptions,
): Promise<PollResult> {
  const clock = queue.clock;
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > 10_000) {
    throw new RangeError(`batchSize must be from 1 to 10000, got ${options.batchSize}`);
  }
  const messages: ReceivedMessage[] = [];
  let payload = 0;
  while (messages.length < options.batchSize) {
    const got = queue.receive(Math.min(MAX_RECEIVE, options.batchSize - messages.length));
    if (got.length === 0) break;
    let full = false;
    for (const m of got) {
      const size = Buffer.byteLength(m.body, 'utf8') + 1024;
      if (full || (messages.length > 0 && payload + size > MAX_LAMBDA_PAYLOAD_BYTES)) {
        full = true;
        queue.changeVisibility(m.receiptHandle, 0);
        continue;
      }
      payload += size;
      messages.push(m);
    }
    if (full) break;
  }
  if (messages.length === 0) return { invoked: false, received: 0, deleted: 0, failed: 0 };

  const functionName = options.functionName ?? `${queue.name}-consumer`;
  const context = makeLambdaContext(clock, {
    functionName,
    timeoutSeconds: options.timeoutSeconds ?? 30,
    ...(options.memoryMb === undefined ? {} : { memoryMb: options.memoryMb }),
    awsRequestId: deterministicUuid(`lambda:${functionName}`, invocations++),
  });
  const event: SQSEvent = { Records: messages.map((m) => toSqsRecord(queue, m)) };

  let failed: Set<string>;
  let error: unknown;
  try {
    const result = await handler(event, context);
    const ids = options.reportBatchItemFailures === false ? [] : (failedIds(result) ?? []);
    const known = new Set(messages.map((m) => m.messageId));
    // An id that is not in the batch (or an empty one) fails the whole batch, as Lambda does.
    failed = ids.every((id) => typeof id === 'string' && known.has(id)) ? new Set(ids) : known;
  } catch (thrown) {
    error = thrown;
    failed = new Set(messages.map((m) => m.messageId));
  }
  let deleted = 0;
  for (const m of messages) {
    if (!failed.has(m.messageId) && queue.delete(m.receiptHandle)) deleted++;
  }
  return {
    invoked: true,
    received: messages.length,
    deleted,
    failed: messages.length - deleted,
    ...(error === undefined ? {} : { error }),
  };
}

/**
 * Polls until nothing is visible at the current instant (the clock does not move): every visible
 * message is handed to the handler once. Returns the invocations made.
 */
export async function drainQueue(
  queue: LocalQueue,
  handler: SqsHandler,
  options: PollOptions,
): Promise<PollResult[]> {
  const results: PollResult[] = [];
  for (;;) {
    const result = await pollToHandler(queue, handler, options);
    if (!result.invoked) return results;
    results.push(result);
  }
}

/** The poll options of a function's SQS trigger in the wiring (batch size, window, timeout, memory). */
export function wiredPollOptions(fn: FunctionWiring, trigger: SqsTrigger): PollOptions {
  return {
    batchSize: trigger.batchSize,
    maxBatchingWindowSeconds: trigger.maxBatchingWindowSeconds,
    reportBatchItemFailures: trigger.reportBatchItemFailures,
    functionName: fn.id,
    timeoutSeconds: fn.timeoutSeconds,
    memoryMb: fn.memoryMb,
  };
}
