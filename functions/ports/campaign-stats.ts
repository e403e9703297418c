/**
 * The per-campaign, per-day stats store: one item per (brand, campaign, UTC day) that the stats λ adds
 * each window's counts to (functions/domain/campaign-stats.ts says what is counted).
 */
import type { CampaignDayStats } from '../domain/campaign-stats.ts';

/** What one `add` did, item by item. */
export interface CampaignStatsReport {
  /** Items the deltas were added to. */
  applied: number;
  /** Items that already held this batch's deltas (a repeated write): left unchanged. */
  repeated: number;
  /** Items not written (the caller logs them: the counts are lost unless re-added by hand). */
  failed: { stats: CampaignDayStats; error: unknown }[];
}

/**
 * Adds counter deltas to the stats items.
 *
 * `batchId` names the set of stream records the deltas come from. Adding with a batch id an item
 * already took (an SDK retry of a write whose answer was lost, a duplicate invocation of the same
 * batch) changes nothing and is reported as `repeated`: the counters are added once per batch. A
 * failure of one item does not stop the others, and nothing throws: the caller decides what a lost
 * count means.
 */
export interface CampaignStatsWriter {
  add(
    deltas: readonly CampaignDayStats[],
    batchId: string,
    options?: { signal?: AbortSignal },
  ): Promise<CampaignStatsReport>;
}

/** Reads the stats items back (reports, the local runtimes' outputs; the stats λ only writes). */
export interface CampaignStatsReader {
  /** The items of one campaign from `fromDay` to `toDay` (inclusive, `YYYY-MM-DD`), by day. */
  campaign(brand: string, campaignId: string, fromDay: string, toDay: string): Promise<CampaignDayStats[]>;
  /** Every item (small: campaigns × days), sorted by brand, campaign and day. */
  all(): Promise<CampaignDayStats[]>;
}
