/**
 * relay λ: the Customers table stream (NEW_AND_OLD_IMAGES). For each new image, `relay()` diffs it
 * against the old one: occurrences issued by this write become messages, new ledger entries become
 * ledger items. Ledger entries are written first, then messages go to their channel queues — with
 * DelaySeconds up to their `sendAt`, or held for the dispatcher when `sendAt` is further away.
 *
 * At least once, end to end: a redelivered record rebuilds the same entries and messages with the same
 * ids (`createdAt` is the record's own creation time), so ledger writes overwrite themselves and
 * delivery workers deduplicate on `messageId`.
 *
 * Per-campaign stats (functions/domain/campaign-stats.ts) are counted once per batch, after its
 * records: only the records Lambda will not deliver again are counted — those before the first failed
 * one (its checkpoint); the failed record and every later one come back and are counted then. Their
 * sum is added to one stats item per (brand, campaign, day) under a batch id, so a repeated write is a
 * no-op, and published as EMF metrics. A stats write that fails is logged with its counts and the
 * `CampaignStatsFailed` metric (alarmed), never a batch failure: retrying records for a counter would
 * send their messages again, and the items already written would count twice. What remains: a batch
 * whose invocation dies after its stats write (a crash, the timeout) is retried and counted again —
 * the write runs last and is cut off well before the timeout to keep that window small.
 */
import { createHash } from 'node:crypto';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { CampaignFile } from '../domain/campaign.ts';
import type { CampaignDayStats } from '../domain/campaign-stats.ts';
import { campaignStatsOf, mergeCampaignStats } from '../domain/campaign-stats.ts';
import { relay } from '../domain/relay.ts';
import type { CampaignStatsReport, CampaignStatsWriter } from '../ports/campaign-stats.ts';
import type { DecodeImage } from '../ports/customer-image.ts';
import type { HeldMessages } from '../ports/held-messages.ts';
import type { LedgerWriter } from '../ports/ledger-writer.ts';
import type { MessageQueue, RejectedSink } from '../ports/message-queue.ts';
import type { CampaignMetricsSink } from '../shared/campaign-metrics.ts';
import { campaignMetricSets, EmfCampaignMetrics } from '../shared/campaign-metrics.ts';
import { routeMessages } from '../shared/message-routing.ts';
import { processBatchInOrder } from '../shared/ordered-batch.ts';
import type { HandlerOptions } from '../shared/powertools.ts';
import {
  dimensionedMetrics,
  errorFields,
  logger,
  MetricUnit,
  metrics,
  withPowertools,
} from '../shared/powertools.ts';
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
  /** The per-campaign, per-day stats items; without it, none are written (metrics still are). */
  stats?: CampaignStatsWriter;
  /** Where the per-campaign metrics go (default: EMF through Powertools). */
  campaignMetrics?: CampaignMetricsSink;
  clock?: () => number;
  /** Items processed at once (default 10); one item's records stay in stream order. */
  concurrency?: number;
}

/** The stats write stops this long before the invocation's deadline (see the module comment). */
export const STATS_DEADLINE_MARGIN_MS = 2000;

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

/** A batch id from its counted records' ids: the same records give the same id. */
export function batchIdOf(records: readonly DynamoDBRecord[]): string {
  const hash = createHash('sha256');
  for (const r of records) hash.update(`${r.eventID ?? ''}/${sequenceOf(r)}\n`);
  return hash.digest('base64url').slice(0, 22);
}

export function makeHandler(deps: RelayDeps) {
  const clock = deps.clock ?? Date.now;
  const campaignMetrics = deps.campaignMetrics ?? new EmfCampaignMetrics(dimensionedMetrics);

  /** Adds the batch's counts to the stats items; a failure is logged, never thrown (see above). */
  const writeStats = async (stats: CampaignDayStats[], batchId: string, context: Context) => {
    if (deps.stats === undefined) return;
    const notWritten = (error: unknown): CampaignStatsReport => ({
      applied: 0,
      repeated: 0,
      failed: stats.map((s) => ({ stats: s, error })),
    });
    const budget = context.getRemainingTimeInMillis() - STATS_DEADLINE_MARGIN_MS;
    let report: CampaignStatsReport;
    try {
      report =
        budget > 0
          ? await deps.stats.add(stats, batchId, { signal: AbortSignal.timeout(budget) })
          : notWritten(new Error('no time left before the deadline'));
    } catch (error) {
      // The port reports failures instead of throwing; a writer that throws anyway loses the same way.
      report = notWritten(error);
    }
    metrics.addMetric('CampaignStatsWritten', MetricUnit.Count, report.applied);
    if (report.repeated > 0)
      logger.info('campaign stats already written', { batchId, items: report.repeated });
    if (report.failed.length === 0) return;
    metrics.addMetric('CampaignStatsFailed', MetricUnit.Count, report.failed.length);
    // Ids and counts only: enough to add them by hand, nothing about a customer.
    logger.error('campaign stats not written', {
      batchId,
      ...errorFields(report.failed[0]?.error),
      items: report.failed.map((f) => ({
        brand: f.stats.brand,
        campaignId: f.stats.campaignId,
        day: f.stats.day,
        counters: f.stats.counters,
      })),
    });
  };

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
      /** Each completed record's campaign counts, by sequence number. */
      const counted = new Map<string, CampaignDayStats[]>();

      const work = async (record: DynamoDBRecord): Promise<CampaignDayStats[]> => {
        const images = imagesOf(record, sequenceOf(record));
        // REMOVE (deletes, TTL expiry) has nothing to relay.
        if (images === null) {
          stats.ignored++;
          return [];
        }
        const next = deps.decodeImage(images.image);
        // Items of the table that are not customer items.
        if (next === null) {
          stats.ignored++;
          return [];
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
        if (out.messages.length > 0) {
          const routed = await routeMessages(out.messages, clock(), deps);
          stats.queued += routed.queued;
          stats.held += routed.held;
          stats.undeliverable += routed.undeliverable;
        }
        return campaignStatsOf(previous, next, out.messages);
      };

      const response = await processBatchInOrder(event.Records, 'dynamodb-stream', {
        context,
        idOf: sequenceOf,
        keyOf: (r) => JSON.stringify(r.dynamodb?.Keys ?? sequenceOf(r)),
        limit: deps.concurrency ?? 10,
        work: async (r) => {
          try {
            counted.set(sequenceOf(r), await work(r));
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

      // One sum per (brand, campaign, day) over the records this invocation settles for good.
      const done = checkpointedRecords(event.Records, response);
      const campaignStats = mergeCampaignStats(done.flatMap((r) => counted.get(sequenceOf(r)) ?? []));
      if (campaignStats.length > 0) {
        await writeStats(campaignStats, batchIdOf(done), context);
        try {
          campaignMetrics.publish(campaignMetricSets(campaignStats));
        } catch (error) {
          // Metrics never fail a batch: its records are done.
          logger.error('campaign metrics not published', errorFields(error));
        }
      }

      metrics.addMetric('LedgerEntriesWritten', MetricUnit.Count, stats.ledger);
      metrics.addMetric('MessagesQueued', MetricUnit.Count, stats.queued);
      metrics.addMetric('MessagesHeld', MetricUnit.Count, stats.held);
      metrics.addMetric('RecordsFailed', MetricUnit.Count, stats.failed);
      const log = stats.failed > 0 ? logger.warn.bind(logger) : logger.info.bind(logger);
      log('relay batch', { ...stats, campaignDays: campaignStats.length, failures: failures.slice(0, 10) });
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
    stats: s.data.stats,
    concurrency: concurrencyOf(s),
    ...commonDeps(s),
  });
}

export const handler = lazyHandler(() => compose(awsServices()));
