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
 * Per-campaign counts (functions/domain/campaign-stats.ts) are published here as EMF metrics, in real
 * time, once per batch: only for the records Lambda will not deliver again — those before the first
 * failed one (its checkpoint); the failed record and every later one come back and are counted then.
 * A metrics sink that throws never fails the batch. The stats items are not written here: the stats λ
 * (functions/handlers/stats.ts), a second consumer of the same stream, sums them over tumbling windows
 * and writes each window once (at 1M customers a relay batch holds about one record, so a write per
 * batch would be a write per customer write).
 */
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { CampaignFile } from '../domain/campaign.ts';
import type { CampaignDayStats } from '../domain/campaign-stats.ts';
import { campaignStatsOf, mergeCampaignStats } from '../domain/campaign-stats.ts';
import { relay } from '../domain/relay.ts';
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
import { checkpointedRecords, createdAtOf, imagesOf, sequenceOf } from '../shared/stream-records.ts';
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
  /**
   * Where the per-campaign metrics of each batch go (default: EMF through Powertools). The stats items
   * are the stats λ's (functions/handlers/stats.ts), not the relay's.
   */
  campaignMetrics?: CampaignMetricsSink;
  clock?: () => number;
  /** Items processed at once (default 10); one item's records stay in stream order. */
  concurrency?: number;
}

interface BatchStats {
  records: number;
  ignored: number;
  ledger: number;
  queued: number;
  held: number;
  withdrawn: number;
  undeliverable: number;
  failed: number;
}

export function makeHandler(deps: RelayDeps) {
  const clock = deps.clock ?? Date.now;
  const campaignMetrics = deps.campaignMetrics ?? new EmfCampaignMetrics(dimensionedMetrics);

  return withPowertools<DynamoDBStreamEvent, DynamoDBBatchResponse>(
    async (event: DynamoDBStreamEvent, context: Context) => {
      const stats: BatchStats = {
        records: event.Records.length,
        ignored: 0,
        ledger: 0,
        queued: 0,
        held: 0,
        withdrawn: 0,
        undeliverable: 0,
        failed: 0,
      };
      const failures: { sequenceNumber: string; error: string; message: string }[] = [];
      /** Each completed record's campaign counts, by sequence number. */
      const counted = new Map<string, CampaignDayStats[]>();

      const work = async (record: DynamoDBRecord): Promise<CampaignDayStats[]> => {
        const images = imagesOf(record);
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
        const out = relay(previous, next, deps.pack, createdAtOf(record, clock));
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
        if (out.withdrawn.length > 0) {
          // Consent or an address gone before their send time: the dispatcher must never queue them.
          await deps.held.release(out.withdrawn);
          stats.withdrawn += out.withdrawn.length;
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
      metrics.addMetric('HeldMessagesWithdrawn', MetricUnit.Count, stats.withdrawn);
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
    concurrency: concurrencyOf(s),
    ...commonDeps(s),
  });
}

export const handler = lazyHandler(() => compose(awsServices()));
