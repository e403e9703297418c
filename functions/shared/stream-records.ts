/**
 * What the consumers of the Customers table stream (NEW_AND_OLD_IMAGES) share about its records: the
 * validation of a record (its images, or why it cannot come from such a stream), its id in a partial
 * batch response, its creation time, and the records a partial batch response settles for good.
 * The relay (functions/handlers/relay.ts) and the stats λ (functions/handlers/stats.ts) read the same
 * records the same way, so a record one of them fails, the other fails too.
 */
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';

/**
 * A stream record that cannot be what a NEW_AND_OLD_IMAGES stream sends: an unknown eventName, an
 * INSERT or MODIFY without its new image, a MODIFY without its old one. Acting on it could only lose
 * messages (no new image) or send every past message again (no old image), so it fails its record, and
 * the event source mapping's retries and on-failure destination take over.
 */
export class InvalidStreamRecordError extends Error {
  constructor(
    readonly sequenceNumber: string,
    problem: string,
  ) {
    super(`stream record ${sequenceNumber}: ${problem}`);
    this.name = 'InvalidStreamRecordError';
  }
}

/** The record's id in a partial batch response: its sequence number. */
export const sequenceOf = (r: DynamoDBRecord): string => r.dynamodb?.SequenceNumber ?? r.eventID ?? '';

/**
 * The record's images, or why it cannot be relayed (throws {@link InvalidStreamRecordError}); null for
 * records with nothing to relay (REMOVE: deletes and TTL expiry).
 */
export function imagesOf(record: DynamoDBRecord, sequenceNumber: string = sequenceOf(record)) {
  const { eventName } = record;
  const fail = (problem: string) => new InvalidStreamRecordError(sequenceNumber, problem);
  if (eventName === 'REMOVE') return null;
  if (eventName !== 'INSERT' && eventName !== 'MODIFY') {
    throw fail(`unknown eventName ${JSON.stringify(eventName ?? null)}: expected INSERT, MODIFY or REMOVE`);
  }
  const image = record.dynamodb?.NewImage;
  const oldImage = record.dynamodb?.OldImage;
  if (image === undefined) {
    throw fail(`${eventName} without a NewImage: the stream must send NEW_AND_OLD_IMAGES`);
  }
  if (eventName === 'MODIFY' && oldImage === undefined) {
    throw fail('MODIFY without an OldImage: the stream must send NEW_AND_OLD_IMAGES');
  }
  return { image, oldImage };
}

/**
 * The record's own creation time (ISO-8601), `nowMs` when the stream did not say: a redelivered record
 * gives the same instant, so what is built from it (message ids, `createdAt`) is byte-identical.
 */
export function createdAtOf(record: DynamoDBRecord, nowMs: () => number): string {
  const createdSec = record.dynamodb?.ApproximateCreationDateTime;
  return new Date(createdSec === undefined ? nowMs() : createdSec * 1000).toISOString();
}

/**
 * The records Lambda will not deliver again after this response: all of them when none failed, else
 * those before the first failure in batch order (the checkpoint). None when a reported id is not in
 * the batch: Lambda then retries the whole batch.
 */
export function checkpointedRecords(
  records: readonly DynamoDBRecord[],
  response: DynamoDBBatchResponse,
): readonly DynamoDBRecord[] {
  if (response.batchItemFailures.length === 0) return records;
  const position = new Map(records.map((r, i) => [sequenceOf(r), i] as const));
  let first = records.length;
  for (const f of response.batchItemFailures) {
    const at = position.get(f.itemIdentifier);
    if (at === undefined) return [];
    first = Math.min(first, at);
  }
  return records.slice(0, first);
}
