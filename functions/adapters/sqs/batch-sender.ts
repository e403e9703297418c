/**
 * SendMessageBatch done right, shared by the SQS adapters: at most 10 entries and at most the size
 * limit per call, entry ids SQS accepts, each message's size checked before sending, and failed
 * entries retried with bounded, jittered backoff when the failure is SQS's (not the sender's).
 */
import { createHash } from 'node:crypto';
import type { MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { forEachLimit } from '../../shared/pool.ts';
import { TurnBatcher } from '../../shared/turn-batcher.ts';

/** SendMessageBatch takes at most 10 entries. */
export const MAX_BATCH_ENTRIES = 10;
/** SQS's message size limit (body + attributes), which is also the limit of a whole batch call. */
export const MAX_MESSAGE_BYTES = 256 * 1024;

export interface OutgoingEntry {
  /** The caller's id (a messageId, a customer key): reported back, and hashed into the SQS entry id. */
  key: string;
  body: string;
  /** String message attributes (empty values are left out: SQS rejects them). */
  attributes?: Record<string, string>;
  delaySeconds?: number;
}

export interface EntryFailure {
  key: string;
  reason: 'too-large' | 'rejected' | 'retries-exhausted';
  code?: string;
  bytes?: number;
}

export interface BatchResult {
  sent: string[];
  failed: EntryFailure[];
}

export interface BatchSenderOptions {
  client: SQSClient;
  /** Attempts per entry, the first included (default 4). */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt up to `maxDelayMs` (defaults 50 ms and 1 s), with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Calls in flight at once (default 4). */
  concurrency?: number;
  /** The queue's MaximumMessageSize (default 256 KiB). */
  maxMessageBytes?: number;
  /** Tests pass an instant sleep. */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/**
 * The SQS entry id for a caller's key: ids allow only alphanumerics, `-` and `_`, at most 80
 * characters, so message ids (which contain `#` and customer ids) are hashed (base64url: 43 characters).
 */
export function entryIdOf(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

/** Size as SQS counts it: the body plus each attribute's name, data type and value, in UTF-8 bytes. */
export function entryBytes(entry: OutgoingEntry): number {
  let bytes = Buffer.byteLength(entry.body, 'utf8');
  for (const [name, value] of Object.entries(entry.attributes ?? {})) {
    if (value === '') continue;
    bytes += Buffer.byteLength(name, 'utf8') + 'String'.length + Buffer.byteLength(value, 'utf8');
  }
  return bytes;
}

export function toAttributes(
  attributes: Record<string, string> | undefined,
): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value !== '') out[name] = { DataType: 'String', StringValue: value };
  }
  return out;
}

interface Sized {
  entry: OutgoingEntry;
  id: string;
  bytes: number;
}

/** Sends entries to one queue; resolves with what was sent and what was not, rejects if SQS is unreachable. */
export async function sendInBatches(
  queueUrl: string,
  entries: readonly OutgoingEntry[],
  options: BatchSenderOptions,
): Promise<BatchResult> {
  const maxBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  const result: BatchResult = { sent: [], failed: [] };
  const seen = new Set<string>();
  const sized: Sized[] = [];
  for (const entry of entries) {
    // One key is one message: sending it twice in a call would only make SQS reject the batch.
    if (seen.has(entry.key)) continue;
    seen.add(entry.key);
    const bytes = entryBytes(entry);
    if (bytes > maxBytes) result.failed.push({ key: entry.key, reason: 'too-large', bytes });
    else sized.push({ entry, id: entryIdOf(entry.key), bytes });
  }
  await forEachLimit(chunk(sized, maxBytes), options.concurrency ?? 4, (part) =>
    sendChunk(queueUrl, part, options, result),
  );
  return result;
}

/** Greedy chunks of at most 10 entries and at most `maxBytes` in total, in input order. */
function chunk(entries: readonly Sized[], maxBytes: number): Sized[][] {
  const chunks: Sized[][] = [];
  let current: Sized[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (current.length === MAX_BATCH_ENTRIES || (current.length > 0 && bytes + e.bytes > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += e.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

async function sendChunk(
  queueUrl: string,
  part: readonly Sized[],
  options: BatchSenderOptions,
  result: BatchResult,
): Promise<void> {
  const maxAttempts = options.maxAttempts ?? 4;
  const sleep = options.sleep ?? defaultSleep;
  const byId = new Map(part.map((s) => [s.id, s] as const));
  let pending: Sized[] = [...part];
  for (let attempt = 1; pending.length > 0; attempt++) {
    const response = await options.client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: pending.map(({ entry, id }) => ({
          Id: id,
          MessageBody: entry.body,
          ...(entry.delaySeconds === undefined ? {} : { DelaySeconds: entry.delaySeconds }),
          ...(entry.attributes === undefined ? {} : { MessageAttributes: toAttributes(entry.attributes) }),
        })),
      }),
    );
    for (const ok of response.Successful ?? []) {
      const s = ok.Id === undefined ? undefined : byId.get(ok.Id);
      if (s !== undefined) result.sent.push(s.entry.key);
    }
    const answered = new Set((response.Successful ?? []).map((ok) => ok.Id));
    const retry: Sized[] = [];
    const retryOrFail = (s: Sized, code: string) => {
      if (attempt >= maxAttempts) result.failed.push({ key: s.entry.key, reason: 'retries-exhausted', code });
      else retry.push(s);
    };
    for (const failed of response.Failed ?? []) {
      const s = failed.Id === undefined ? undefined : byId.get(failed.Id);
      if (s === undefined) continue;
      answered.add(failed.Id);
      const code = failed.Code ?? 'Unknown';
      if (failed.SenderFault) result.failed.push({ key: s.entry.key, reason: 'rejected', code });
      else retryOrFail(s, code);
    }
    // An entry SQS did not mention at all is not assumed sent.
    for (const s of pending) if (!answered.has(s.id)) retryOrFail(s, 'NoResult');
    pending = retry;
    if (pending.length > 0) await sleep(backoffMs(attempt, options));
  }
}

/** Exponential backoff with "equal jitter": between half and all of min(max, base·2^(attempt-1)). */
export function backoffMs(
  attempt: number,
  options: Pick<BatchSenderOptions, 'baseDelayMs' | 'maxDelayMs'>,
): number {
  const ceiling = Math.min(options.maxDelayMs ?? 1000, (options.baseDelayMs ?? 50) * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * `sendInBatches` for concurrent callers: the entries they send to one queue in one turn of the event
 * loop go out together (10 per call, see `TurnBatcher`), and each caller gets the results of its own
 * entries. A relay batch's records, worked side by side, each with a message or two, thus share their
 * SendMessageBatch calls where each would have made its own. When SQS cannot be reached, every caller
 * of the turn rejects.
 */
export class CoalescingBatchSender {
  private readonly turns: TurnBatcher<readonly OutgoingEntry[], BatchResult>;

  constructor(options: BatchSenderOptions) {
    this.turns = new TurnBatcher(async (queueUrl, callers) => {
      const result = await sendInBatches(queueUrl, callers.flat(), options);
      return callers.map((entries) => {
        const keys = new Set(entries.map((e) => e.key));
        return {
          sent: result.sent.filter((key) => keys.has(key)),
          failed: result.failed.filter((f) => keys.has(f.key)),
        };
      });
    });
  }

  send(queueUrl: string, entries: readonly OutgoingEntry[]): Promise<BatchResult> {
    if (entries.length === 0) return Promise.resolve({ sent: [], failed: [] });
    return this.turns.submit(queueUrl, entries);
  }
}
