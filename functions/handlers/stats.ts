/**
 * stats λ: a second consumer of the Customers table stream (NEW_AND_OLD_IMAGES) that keeps the campaign
 * stats items (one per brand, campaign and UTC day; functions/domain/campaign-stats.ts says what is
 * counted). The relay publishes the same counts as metrics in real time, but a write per relay batch
 * would be a write per customer write at 1M customers (a batch then holds about one record). This
 * mapping uses Lambda's tumbling windows (TumblingWindowInSeconds = 900): each invocation adds its
 * records' counts to the window's `state`, which Lambda hands to the next invocation of the window, and
 * the window's final invocation (`isFinalInvokeForWindow`) writes the sums, one `UpdateItem` per item
 * per window and shard. Tumbling windows need a parallelization factor of 1, which the relay, whose
 * latency is the customer's, cannot have; counts can wait a window.
 *
 * Records are read as the relay reads them (functions/shared/stream-records.ts): REMOVE and items that
 * are not customers are ignored, a record that cannot come from such a stream fails. Counting is pure
 * and in batch order, and stops at the first record that fails: it goes in `batchItemFailures`, the
 * records before it are counted (in the returned state), it and the later ones come back. On the final
 * invocation a failing record throws: the whole invocation is retried with the same state. The state
 * is `campaignDayKey` → the item's sums as JSON, plus `#from`, the sequence number of the first record
 * counted into it. A window terminated early (`isWindowTerminatedEarly`: its state grew too large) is
 * written like a final one; the rest of the window starts from an empty state.
 *
 * Exactness: every record is counted at least once into a state (Lambda keeps the state of a failed
 * invocation out), and every state is added to the items exactly once: its batch id comes from
 * (shard, window start, `#from`), so a retried final invocation carries the same state and the same id,
 * and the store reports the items already written as `repeated` instead of adding twice; the second
 * part of a window terminated early has another `#from`, hence another id. A write that fails (an item
 * not written, a writer that throws, no time left before the deadline) is logged with ids and counts
 * only, counted (`CampaignStatsFailed`) and thrown, so Lambda retries the final invocation (the shard
 * waits until it succeeds).
 *
 * Without a tumbling window (`event.window` absent) each batch's counts are written after the batch,
 * under a batch id hashed from the counted records' ids.
 */
import { createHash } from 'node:crypto';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { z } from 'zod';
import type { CampaignFile } from '../domain/campaign.ts';
import type { CampaignDayStats } from '../domain/campaign-stats.ts';
import { campaignDayKey, campaignStatsOf, mergeCampaignStats } from '../domain/campaign-stats.ts';
import { occurrenceChanges } from '../domain/occurrence-changes.ts';
import { relay } from '../domain/relay.ts';
import type { CampaignStatsReport, CampaignStatsWriter } from '../ports/campaign-stats.ts';
import type { DecodeImage } from '../ports/customer-image.ts';
import type { HandlerOptions } from '../shared/powertools.ts';
import { errorFields, logger, MetricUnit, metrics, withPowertools } from '../shared/powertools.ts';
import { createdAtOf, imagesOf, sequenceOf } from '../shared/stream-records.ts';
import type { Services } from './wiring.ts';
import { awsServices, commonDeps, lazyHandler } from './wiring.ts';

export interface StatsDeps extends HandlerOptions {
  pack: CampaignFile;
  decodeImage: DecodeImage;
  /** The per-campaign, per-day stats items. */
  stats: CampaignStatsWriter;
  /** Epoch ms: the creation time of a record the stream gave none. */
  clock?: () => number;
}

/** The tumbling window an invocation belongs to (ISO-8601 instants). */
export interface TimeWindow {
  start: string;
  end: string;
}

/** The window state: `campaignDayKey` → `CampaignDayStats` as JSON, and {@link FROM_KEY}. */
export type WindowState = Record<string, string>;

/** A stream batch; the window fields are there when the mapping has a tumbling window. */
export type TimeWindowStreamEvent = DynamoDBStreamEvent & {
  window?: TimeWindow;
  /** What the previous invocation of this window returned; `{}` at the start of a window. */
  state?: WindowState;
  shardId?: string;
  eventSourceARN?: string;
  /** The last invocation of the window (normally without records): the sums are written then. */
  isFinalInvokeForWindow?: boolean;
  /** The window was cut early (state too large); the next invocation continues it with `{}`. */
  isWindowTerminatedEarly?: boolean;
};

/** Lambda requires `state` in every answer of a tumbling-window mapping. */
export interface TimeWindowResponse {
  batchItemFailures: { itemIdentifier: string }[];
  state: WindowState;
}

/** The state key holding the sequence number of the first record counted into the state. */
export const FROM_KEY = '#from';

/** The stats write stops this long before the invocation's deadline. */
export const STATS_DEADLINE_MARGIN_MS = 2000;

/** A window state this handler did not write (or that was changed on the way). */
export class WindowStateError extends Error {
  constructor(problem: string) {
    super(`window state cannot be decoded: ${problem}`);
    this.name = 'WindowStateError';
  }
}

/** Stats items not written; the invocation is retried. Ids, counts and the redacted cause only. */
export class CampaignStatsWriteError extends Error {
  constructor(batchId: string, failed: number, total: number, cause: { error: string; message: string }) {
    super(
      `campaign stats not written: ${failed} of ${total} items of batch ${batchId} (${cause.error}: ${cause.message})`,
    );
    this.name = 'CampaignStatsWriteError';
  }
}

const Count = z.number().nonnegative();
const StoredDayStats = z.object({
  brand: z.string(),
  campaignId: z.string(),
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  counters: z.object({
    fired: Count,
    messages: z.object({ email: Count, sms: Count, push: Count }),
    points: Count,
    deferred: Count,
    converted: Count,
    clawedBack: Count,
    suppressed: z.record(z.string(), Count),
  }),
});

/** Sums and the first counted record's sequence number, as a window state. Nothing counted: `{}`. */
export function encodeWindowState(stats: readonly CampaignDayStats[], from: string | null): WindowState {
  if (stats.length === 0 || from === null) return {};
  const state: WindowState = { [FROM_KEY]: from };
  for (const s of stats) state[campaignDayKey(s)] = JSON.stringify(s);
  return state;
}

/** A window state back to its sums and `#from`; throws {@link WindowStateError} for any other shape. */
export function decodeWindowState(state: unknown): { stats: CampaignDayStats[]; from: string | null } {
  if (state === undefined || state === null) return { stats: [], from: null };
  if (typeof state !== 'object' || Array.isArray(state)) {
    throw new WindowStateError(`expected an object, got ${Array.isArray(state) ? 'an array' : typeof state}`);
  }
  const stats: CampaignDayStats[] = [];
  let from: string | null = null;
  for (const [key, value] of Object.entries(state)) {
    if (typeof value !== 'string') {
      throw new WindowStateError(`key ${JSON.stringify(key)}: expected a string, got ${typeof value}`);
    }
    if (key === FROM_KEY) {
      if (value === '') throw new WindowStateError(`${FROM_KEY} is empty`);
      from = value;
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new WindowStateError(`key ${JSON.stringify(key)}: not JSON`);
    }
    const result = StoredDayStats.safeParse(parsed);
    if (!result.success) {
      const path = result.error.issues[0]?.path.join('.') ?? '';
      throw new WindowStateError(`key ${JSON.stringify(key)}: not campaign day stats (at "${path}")`);
    }
    if (campaignDayKey(result.data) !== key) {
      throw new WindowStateError(`key ${JSON.stringify(key)} holds the stats of another campaign day`);
    }
    stats.push(result.data);
  }
  if (stats.length > 0 && from === null) {
    throw new WindowStateError(`counts without ${FROM_KEY}: the state cannot be named`);
  }
  return { stats, from };
}

const shortHash = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 22);

/** The batch id of a window state: the same shard, window and first record give the same id. */
export function windowBatchId(shardId: string, windowStart: string, from: string): string {
  return shortHash(`window\n${shardId}\n${windowStart}\n${from}`);
}

/** A batch id from its counted records' ids (no window): the same records give the same id. */
export function batchIdOf(records: readonly DynamoDBRecord[]): string {
  const hash = createHash('sha256');
  for (const r of records) hash.update(`${r.eventID ?? ''}/${sequenceOf(r)}\n`);
  return hash.digest('base64url').slice(0, 22);
}

/** What counting a batch gave. */
export interface CountedRecords {
  /** The counts of the records before the first failure, summed per (brand, campaign, day). */
  stats: CampaignDayStats[];
  /** The records before the first failure, in batch order (counted or ignored). */
  done: DynamoDBRecord[];
  /** The sequence number of the first record that counted anything; null when none did. */
  firstCounted: string | null;
  /** Records that counted something. */
  counted: number;
  /** REMOVE records and items that are not customers. */
  ignored: number;
  /** The first record that could not be counted; the later ones were not looked at. */
  failure: { sequenceNumber: string; error: unknown } | null;
}

/** Counts `records` in batch order, stopping at the first that fails. Pure and synchronous. */
export function countRecords(
  records: readonly DynamoDBRecord[],
  deps: { pack: CampaignFile; decodeImage: DecodeImage; clock: () => number },
): CountedRecords {
  const out: CountedRecords = {
    stats: [],
    done: [],
    firstCounted: null,
    counted: 0,
    ignored: 0,
    failure: null,
  };
  const deltas: CampaignDayStats[] = [];
  for (const record of records) {
    const sequenceNumber = sequenceOf(record);
    try {
      const images = imagesOf(record, sequenceNumber);
      const next = images === null ? null : deps.decodeImage(images.image);
      // REMOVE (deletes, TTL expiry), and items of the table that are not customer items.
      if (images === null || next === null) {
        out.ignored++;
      } else {
        const previous = images.oldImage === undefined ? null : deps.decodeImage(images.oldImage);
        // A write that decided nothing (an open, a consent, a profile update) counts nothing: its
        // messages, built only for occurrences it issued, need not be built.
        const changes = occurrenceChanges(previous, next);
        // The messages the relay builds from this write: the channel counts are the messages that left.
        const messages =
          changes.length === 0
            ? []
            : relay(previous, next, deps.pack, createdAtOf(record, deps.clock)).messages;
        const own = changes.length === 0 ? [] : campaignStatsOf(previous, next, messages, changes);
        if (own.length > 0) {
          out.firstCounted ??= sequenceNumber;
          out.counted++;
          deltas.push(...own);
        }
      }
    } catch (error) {
      out.failure = { sequenceNumber, error };
      break;
    }
    out.done.push(record);
  }
  out.stats = mergeCampaignStats(deltas);
  return out;
}

export function makeHandler(deps: StatsDeps) {
  const clock = deps.clock ?? Date.now;

  /** Adds the sums to the stats items; anything not written is logged, counted and thrown. */
  const write = async (stats: CampaignDayStats[], batchId: string, context: Context) => {
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
      // The port reports failures instead of throwing; a writer that throws anyway fails the same way.
      report = notWritten(error);
    }
    metrics.addMetric('CampaignStatsWritten', MetricUnit.Count, report.applied);
    if (report.repeated > 0)
      logger.info('campaign stats already written', { batchId, items: report.repeated });
    if (report.failed.length === 0) return;
    metrics.addMetric('CampaignStatsFailed', MetricUnit.Count, report.failed.length);
    const cause = errorFields(report.failed[0]?.error);
    // Ids and counts only: enough to add them by hand, nothing about a customer.
    logger.error('campaign stats not written', {
      batchId,
      ...cause,
      items: report.failed.map((f) => ({
        brand: f.stats.brand,
        campaignId: f.stats.campaignId,
        day: f.stats.day,
        counters: f.stats.counters,
      })),
    });
    // Lambda retries: the items written are `repeated` then, the others are added.
    throw new CampaignStatsWriteError(batchId, report.failed.length, stats.length, cause);
  };

  return withPowertools<TimeWindowStreamEvent, TimeWindowResponse>(
    async (event: TimeWindowStreamEvent, context: Context): Promise<TimeWindowResponse> => {
      const { window } = event;
      // A window cut early is written like a final one: the rest of it starts from an empty state.
      const final =
        window !== undefined &&
        (event.isFinalInvokeForWindow === true || event.isWindowTerminatedEarly === true);
      const batch = countRecords(event.Records, { pack: deps.pack, decodeImage: deps.decodeImage, clock });
      const { failure } = batch;
      metrics.addMetric('StatsRecordsFailed', MetricUnit.Count, failure === null ? 0 : 1);
      const previous = window === undefined ? { stats: [], from: null } : decodeWindowState(event.state);
      const stats = mergeCampaignStats([...previous.stats, ...batch.stats]);
      const from = previous.from ?? batch.firstCounted;
      const fields = {
        records: event.Records.length,
        counted: batch.counted,
        ignored: batch.ignored,
        failed: failure === null ? 0 : 1,
        ...(window === undefined ? {} : { window: window.start, shardId: event.shardId, final }),
        campaignDays: stats.length,
        ...(failure === null
          ? {}
          : { failure: { sequenceNumber: failure.sequenceNumber, ...errorFields(failure.error) } }),
      };
      if (failure === null) logger.info('stats batch', fields);
      else logger.warn('stats batch', fields);

      const batchItemFailures = failure === null ? [] : [{ itemIdentifier: failure.sequenceNumber }];
      // Without a window: this batch's counts, now.
      if (window === undefined) {
        if (batch.stats.length > 0) await write(batch.stats, batchIdOf(batch.done), context);
        return { batchItemFailures, state: {} };
      }
      if (!final) return { batchItemFailures, state: encodeWindowState(stats, from) };
      // The final invocation is retried whole: its state comes back unchanged, and so its batch id.
      if (failure !== null) throw failure.error;
      if (stats.length > 0) {
        if (from === null) throw new WindowStateError(`counts without ${FROM_KEY}`);
        await write(stats, windowBatchId(event.shardId ?? '', window.start, from), context);
      }
      return { batchItemFailures: [], state: {} };
    },
    deps,
  );
}

/** The Lambda entry point: composed once per container, on the first invocation. */
export function compose(s: Services) {
  return makeHandler({
    pack: s.ctx.pack,
    decodeImage: s.data.decodeImage,
    stats: s.data.stats,
    ...commonDeps(s),
  });
}

export const handler = lazyHandler(() => compose(awsServices()));
