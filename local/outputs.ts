/**
 * The run outputs the README lists, shared by `demo`, `simulate` and `replay`: `messages.jsonl` (every SQS
 * body queued), `bonuses.jsonl`, `suppressed.jsonl`, `rejected.jsonl` and `summary.json` (per campaign
 * counts, the store request counts and, when the run was measured, the per-campaign `measurement`);
 * `stats.jsonl`, the campaign stats items as a deployed stack keeps them (one per brand, campaign and
 * UTC day); plus the progress bar the long-running commands draw on stderr.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { estimateCost } from './cost.ts';
import type { MeasureResults } from './measure/attribution.ts';
import type { SimulationResult } from './memory-simulation.ts';
import { writeJsonl } from './run-recorder.ts';

export const OUTPUT_FILES = [
  'messages.jsonl',
  'bonuses.jsonl',
  'suppressed.jsonl',
  'rejected.jsonl',
  'summary.json',
  'stats.jsonl',
  'report.html',
] as const;

/** `measurement`: the run's `CampaignMeasurement` results (local/measure), when it was measured. */
export function summaryJson(
  result: SimulationResult,
  meta: Record<string, unknown>,
  measurement?: MeasureResults,
) {
  return {
    ...meta,
    events: result.events,
    customers: result.customers,
    evaluations: result.evaluations,
    messages: result.outputs.messages,
    bonuses: result.outputs.bonuses,
    suppressed: result.outputs.suppressed,
    rejected: result.outputs.rejected,
    requests: result.counts,
    campaigns: result.summary.rows(),
    totals: result.summary.totals(),
    ...(result.heldAtEnd === undefined ? {} : { heldAtEnd: result.heldAtEnd }),
    ...(result.usage === undefined ? {} : { usage: result.usage, cost: estimateCost(result.usage) }),
    ...(measurement === undefined ? {} : { measurement }),
  };
}

/** `summary.json` of a run whose other outputs were streamed by its recorder. */
export function writeSummary(
  dir: string,
  result: SimulationResult,
  meta: Record<string, unknown>,
  measurement?: MeasureResults,
): void {
  mkdirSync(dir, { recursive: true });
  const json = summaryJson(result, meta, measurement);
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(json, null, 2)}\n`);
  if (result.campaignStats !== undefined) {
    // One line per stats item: its key, then its counters.
    const rows = result.campaignStats.map(({ brand, campaignId, day, counters }) => ({
      brand,
      campaignId,
      day,
      ...counters,
    }));
    writeJsonl(join(dir, 'stats.jsonl'), rows);
  }
}

/** Every output of a run whose recorder kept them in memory. */
export function writeOutputs(
  dir: string,
  result: SimulationResult,
  meta: Record<string, unknown>,
  measurement?: MeasureResults,
): void {
  mkdirSync(dir, { recursive: true });
  writeJsonl(join(dir, 'messages.jsonl'), result.messages);
  writeJsonl(join(dir, 'bonuses.jsonl'), result.bonuses);
  writeJsonl(join(dir, 'suppressed.jsonl'), result.suppressed);
  writeJsonl(join(dir, 'rejected.jsonl'), result.rejected);
  writeSummary(dir, result, meta, measurement);
}

export type Progress = (done: number, total: number) => void;

/**
 * A progress bar with rate and ETA on stderr, only when stderr is a terminal and only once the run has
 * taken more than `afterMs` (2 s), so short runs and piped output stay clean.
 */
export function progressBar(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  afterMs = 2000,
): Progress {
  const started = performance.now();
  let lastDraw = 0;
  let drawn = false;
  return (done, total) => {
    if (!stream.isTTY) return;
    const now = performance.now();
    if (now - started < afterMs) return;
    if (now - lastDraw < 100 && done < total) return;
    lastDraw = now;
    drawn = true;
    const seconds = (now - started) / 1000;
    const rate = done / Math.max(seconds, 1e-3);
    const eta = rate > 0 ? (total - done) / rate : 0;
    const width = 30;
    const filled = Math.min(width, Math.round((done / Math.max(total, 1)) * width));
    stream.write(
      `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${Math.round(rate)}/s ETA ${eta.toFixed(0)}s   `,
    );
    if (done >= total && drawn) stream.write('\n');
  };
}
