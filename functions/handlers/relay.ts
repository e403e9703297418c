/**
 * relay λ: the Customers table stream (NEW_AND_OLD_IMAGES). For each new image, `relay()` diffs it
 * against the old one: occurrences issued by this write become messages, new ledger entries become
 * ledger items. Ledger entries are written first, then messages go to their channel queues — with
 * DelaySeconds up to their `sendAt`, or held for the dispatcher when `sendAt` is further away.
 *
 * At least once, end to end: a redelivered record rebuilds the same entries and messages with the same
 * ids (`createdAt` is the record's own creation time), so ledger writes overwrite themselves and
 * delivery workers deduplicate on `messageId`.
 */
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { CampaignFile } from '../domain/campaign.ts';
import { relay } from '../domain/relay.ts';
import type { DecodeImage } from '../ports/customer-image.ts';
import type { HeldMessages } from '../ports/held-messages.ts';
import type { LedgerWriter } from '../ports/ledger-writer.ts';
import type { MessageQueue, RejectedSink } from '../ports/message-queue.ts';
import { routeMessages } from '../shared/message-routing.ts';
import { processBatchInOrder } from '../shared/ordered-batch.ts';
import type { HandlerOptions } from '../shared/powertools.ts';
import { errorFields, logger, MetricUnit, metrics, withPowertools } from '../shared/powertools.ts';
import type { Services } from './wiring.ts';
import { awsServices, commonDeps, concurrencyOf, lazyHandler, messageQueueOf } from './wiring.ts';

export interface RelayDeps extends HandlerOptions {
  pack: CampaignFile;
  decodeImage: DecodeImage;
  ledger: LedgerWriter;
  queue: MessageQueue;
  held: HeldMessages;
  /** Where messages that can never be queued (too large, refused by SQS) are reported. */
  rejected: RejectedSink;
  clock?: () => number;
  /** Items processed at once (default 10); one item's records stay in stream order. */
  concurrency?: number;
}

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

/** The record's images, or why it cannot be relayed; null for records with nothing to relay (REMOVE). */
function imagesOf(record: DynamoDBRecord, sequenceNumber: string) {
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

interface BatchStats {
  records: number;
  ignored: number;
  ledger: number;
  queued: number;
  held: number;
  undeliverable: number;
  failed: number;
}

const sequenceOf = (r: DynamoDBRecord) => r.dynamodb?.SequenceNumber ?? r.eventID ?? '';

export function makeHandler(deps: RelayDeps) {
  const clock = deps.clock ?? Date.now;

  return withPowertools<DynamoDBStreamEvent, DynamoDBBatchResponse>(
    async (event: DynamoDBStreamEvent, context: Context) => {
      const stats: BatchStats = {
        records: event.Records.length,
        ignored: 0,
        ledger: 0,
        queued: 0,
        held: 0,
        undeliverable: 0,
        failed: 0,
      };
      const failures: { sequenceNumber: string; error: string; message: string }[] = [];

      const work = async (record: DynamoDBRecord): Promise<void> => {
        const images = imagesOf(record, sequenceOf(record));
        // REMOVE (deletes, TTL expiry) has nothing to relay.
        if (images === null) {
          stats.ignored++;
          return;
        }
        const next = deps.decodeImage(images.image);
        // Items of the table that are not customer items.
        if (next === null) {
          stats.ignored++;
          return;
        }
        const { oldImage } = images;
        const previous = oldImage === undefined ? null : deps.decodeImage(oldImage);
        // The record's own creation time: a redelivery builds byte-identical messages.
        const createdSec = record.dynamodb?.ApproximateCreationDateTime;
        const createdAt = new Date(createdSec === undefined ? clock() : createdSec * 1000).toISOString();
        const out = relay(previous, next, deps.pack, createdAt);
        if (out.ledger.length > 0) {
          await deps.ledger.write(out.ledger);
          stats.ledger += out.ledger.length;
        }
        if (out.messages.length === 0) return;
        const routed = await routeMessages(out.messages, clock(), deps);
        stats.queued += routed.queued;
        stats.held += routed.held;
        stats.undeliverable += routed.undeliverable;
      };

      const response = await processBatchInOrder(event.Records, 'dynamodb-stream', {
        context,
        idOf: sequenceOf,
        keyOf: (r) => JSON.stringify(r.dynamodb?.Keys ?? sequenceOf(r)),
        limit: deps.concurrency ?? 10,
        work: async (r) => {
          try {
            await work(r);
          } catch (error) {
            stats.failed++;
            failures.push({
              sequenceNumber: sequenceOf(r),
              ...errorFields(error),
            });
            throw error;
          }
        },
      });

      metrics.addMetric('LedgerEntriesWritten', MetricUnit.Count, stats.ledger);
      metrics.addMetric('MessagesQueued', MetricUnit.Count, stats.queued);
      metrics.addMetric('MessagesHeld', MetricUnit.Count, stats.held);
      metrics.addMetric('RecordsFailed', MetricUnit.Count, stats.failed);
      const log = stats.failed > 0 ? logger.warn.bind(logger) : logger.info.bind(logger);
      log('relay batch', { ...stats, failures: failures.slice(0, 10) });
      return response;
    },
    deps,
  );
}

/** The Lambda entry point: composed once per container, on the first invocation. */
export function compose(s: Services) {
  const queue = messageQueueOf(s);
  return makeHandler({
    pack: s.ctx.pack,
    decodeImage: s.data.decodeImage,
    ledger: s.data.ledger,
    queue,
    held: s.data.held,
    rejected: queue,
    concurrency: concurrencyOf(s),
    ...commonDeps(s),
  });
}

export const handler = lazyHandler(() => compose(awsServices()));
