/**
 * The numbers behind the HTML report of a run: read from a run's output directory (`messages.jsonl`,
 * `bonuses.jsonl`, `suppressed.jsonl`, `rejected.jsonl`, `summary.json`, as local/outputs.ts writes them).
 *
 * The JSONL files are streamed line by line (they can be hundreds of MB) and only aggregates are kept.
 * `summary.json` is required; every JSONL file is optional (a missing one is reported as absent), and
 * every field beyond what `summaryJson` writes today (e.g. `cost`, `units`) is optional. Lines that are
 * not JSON objects (a truncated last line of an interrupted run, say) are skipped and counted.
 * `summary.measurement` (the per-campaign measurement, local/measure) is optional too: its counts are
 * validated and its figures recomputed from them (results-json.ts).
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { MeasureResults } from '../measure/attribution.ts';
import { parseMeasurement } from '../measure/results-json.ts';

export const REPORT_DATA_VERSION = 2;

/** The channels the engine knows, in display order; other channel names found in the data follow. */
export const KNOWN_CHANNELS = ['email', 'sms', 'push'] as const;

/** How many replenishment products the report lists. */
export const TOP_PRODUCTS = 10;

/** How many rejected lines the report shows as examples. */
export const REJECTED_SAMPLES = 20;

/** Days between the first and last send day up to which the per-day series is filled with zero days. */
const MAX_FILLED_DAYS = 36_600;

export type Scalar = string | number | boolean | null;

export interface KeyValue {
  key: string;
  value: Scalar;
}

export interface FileInfo {
  name: string;
  present: boolean;
  bytes: number;
  /** Non-empty lines read. */
  lines: number;
  /** Lines that were not a JSON object (or lacked the fields the report needs), skipped. */
  skipped: number;
}

export interface CampaignRow {
  campaignId: string;
  trigger: string;
  fired: number;
  messages: Record<string, number>;
  points: number;
  deferred: number;
  converted: number;
  suppressed: Record<string, number>;
}

export interface DailyMessages {
  /** Channel names, the columns of `days[].counts`. */
  channels: string[];
  /** One entry per UTC day of `sendAt`, ascending; days without messages are included (zeros). */
  days: { day: string; counts: number[] }[];
}

export interface LedgerByCampaign {
  /** `null`: entries that belong to no campaign (base accrual, expiry, order clawbacks). */
  campaignId: string | null;
  entries: number;
  /** Net points (clawbacks and expiry are negative). */
  points: number;
}

export interface LedgerByReason {
  reason: string;
  entries: number;
  points: number;
}

export interface CountByKey {
  key: string;
  count: number;
}

export interface SuppressionsByCampaign {
  campaignId: string;
  total: number;
  byReason: Record<string, number>;
}

export interface ProductCount {
  /** What the report shows: the `product` variable when the message has one, else the SKU. */
  product: string;
  sku: string | null;
  category: string | null;
  messages: number;
}

export interface RejectedSample {
  line: number | null;
  eventId: string | null;
  reason: string;
  path: string;
  rule: string;
}

export interface CostLine {
  [column: string]: Scalar;
}

export interface CostData {
  usdTotal: number | null;
  /** Column names of `lines`, in order of first appearance. */
  columns: string[];
  lines: CostLine[];
  /** Other scalar fields of `summary.cost` (flattened, dotted keys). */
  extra: KeyValue[];
}

export interface ReportData {
  version: typeof REPORT_DATA_VERSION;
  /** The directory's name (not its full path: the report may be shared). */
  run: string;
  generatedAt: string;
  files: FileInfo[];
  /** Top-level scalars of summary.json (command, customers, days, seed, events, messages …). */
  meta: KeyValue[];
  /** `summary.requests`, flattened. */
  requests: KeyValue[];
  /** `summary.units` (request units) when present, flattened. */
  units: KeyValue[] | null;
  campaigns: CampaignRow[];
  messages: { total: number; byChannel: Record<string, number>; perDay: DailyMessages };
  bonuses: {
    entries: number;
    points: number;
    byCampaign: LedgerByCampaign[];
    byReason: LedgerByReason[];
  };
  suppressions: {
    /** Where the numbers come from: the JSONL file, or the per-campaign rows when it is missing. */
    source: 'suppressed.jsonl' | 'summary.json';
    total: number;
    byReason: CountByKey[];
    byCampaign: SuppressionsByCampaign[];
  };
  deferrals: { campaignId: string; deferred: number; fired: number }[];
  replenishment: { messages: number; products: number; top: ProductCount[] };
  rejected: { total: number; byRule: CountByKey[]; samples: RejectedSample[] };
  cost: CostData | null;
  /** Conversion against the holdouts, uplift and revenue per campaign; null when the run has none. */
  measurement: MeasureResults | null;
  /** Why `summary.measurement` could not be read (null when it was read or is absent). */
  measurementProblem: string | null;
}

export interface CollectOptions {
  /** The report's timestamp (default: now). */
  now?: Date;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is Scalar {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function increment(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/** Map entries as `{ key, count }`, largest first, ties by key. */
function ranked(map: Map<string, number>): CountByKey[] {
  return [...map]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || compare(a.key, b.key));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Scalars of an object, nested objects as dotted keys (arrays are left out), up to `depth` levels. */
export function flattenScalars(value: unknown, prefix = '', depth = 3): KeyValue[] {
  if (!isObject(value)) return [];
  const out: KeyValue[] = [];
  for (const [k, v] of Object.entries(value)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (isScalar(v)) out.push({ key, value: v });
    else if (isObject(v) && depth > 1) out.push(...flattenScalars(v, key, depth - 1));
  }
  return out;
}

async function fileSize(path: string): Promise<number | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : null;
  } catch (error) {
    if (isObject(error) && error.code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Streams the JSON objects of a JSONL file to `visit`; `visit` returns false for an object it could not
 * use. A missing file yields `present: false`.
 */
async function eachObject(dir: string, name: string, visit: (row: Json) => boolean): Promise<FileInfo> {
  const path = join(dir, name);
  const info: FileInfo = { name, present: false, bytes: 0, lines: 0, skipped: 0 };
  const size = await fileSize(path);
  if (size === null) return info;
  info.present = true;
  info.bytes = size;
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    info.lines++;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      info.skipped++;
      continue;
    }
    if (!isObject(row) || !visit(row)) info.skipped++;
  }
  return info;
}

/** `YYYY-MM-DD` (UTC) of an ISO instant, or null. */
function utcDay(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return null;
  const iso = new Date(ms).toISOString();
  // Years beyond 9999 are written with a sign and six digits: keep the series to four-digit years.
  return /^\d{4}-/.test(iso) ? iso.slice(0, 10) : null;
}

const DAY_MS = 86_400_000;

function dailySeries(perDay: Map<string, Map<string, number>>, channels: string[]): DailyMessages {
  const known = [...perDay.keys()].sort();
  const first = known[0];
  const last = known[known.length - 1];
  let days = known;
  if (first !== undefined && last !== undefined) {
    const from = Date.parse(`${first}T00:00:00.000Z`);
    const to = Date.parse(`${last}T00:00:00.000Z`);
    if ((to - from) / DAY_MS <= MAX_FILLED_DAYS) {
      days = [];
      for (let ms = from; ms <= to; ms += DAY_MS) days.push(new Date(ms).toISOString().slice(0, 10));
    }
  }
  return {
    channels,
    days: days.map((day) => {
      const counts = perDay.get(day);
      return { day, counts: channels.map((c) => counts?.get(c) ?? 0) };
    }),
  };
}

function channelOrder(seen: Iterable<string>): string[] {
  const extra = [...seen].filter((c) => !(KNOWN_CHANNELS as readonly string[]).includes(c)).sort();
  return [...KNOWN_CHANNELS, ...extra];
}

function campaignRow(raw: unknown): CampaignRow | null {
  if (!isObject(raw)) return null;
  const campaignId = str(raw.campaignId);
  if (campaignId === null) return null;
  // Object.fromEntries, not assignment: a key such as `__proto__` stays an ordinary key.
  const counts = (value: unknown): Record<string, number> =>
    isObject(value) ? Object.fromEntries(Object.entries(value).map(([k, n]) => [k, num(n)])) : {};
  const messages = counts(raw.messages);
  const suppressed = counts(raw.suppressed);
  return {
    campaignId,
    trigger: str(raw.trigger) ?? '',
    fired: num(raw.fired),
    messages,
    points: num(raw.points),
    deferred: num(raw.deferred),
    converted: num(raw.converted),
    suppressed,
  };
}

function costData(raw: unknown): CostData | null {
  if (!isObject(raw)) return null;
  const columns: string[] = [];
  const lines: CostLine[] = [];
  if (Array.isArray(raw.lines)) {
    for (const item of raw.lines) {
      if (!isObject(item)) continue;
      const cells = Object.entries(item).filter((e): e is [string, Scalar] => isScalar(e[1]));
      for (const [k] of cells) if (!columns.includes(k)) columns.push(k);
      lines.push(Object.fromEntries(cells));
    }
  }
  const { lines: _lines, usdTotal, ...rest } = raw;
  return {
    usdTotal: typeof usdTotal === 'number' && Number.isFinite(usdTotal) ? usdTotal : null,
    columns,
    lines,
    extra: flattenScalars(rest),
  };
}

async function readSummary(dir: string): Promise<Json> {
  const path = join(dir, 'summary.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isObject(error) && error.code === 'ENOENT')
      throw new Error(
        `summary.json not found: ${path} (is this the output directory of a simulate/replay/demo run?)`,
      );
    throw error;
  }
  let summary: unknown;
  try {
    summary = JSON.parse(text);
  } catch (error) {
    throw new Error(`summary.json is not valid JSON: ${path}: ${(error as Error).message}`);
  }
  if (!isObject(summary)) throw new Error(`summary.json is not a JSON object: ${path}`);
  return summary;
}

/** Reads a run's output directory and aggregates what the report shows. */
export async function collectReportData(dir: string, options: CollectOptions = {}): Promise<ReportData> {
  const summary = await readSummary(dir);
  const campaigns = Array.isArray(summary.campaigns)
    ? summary.campaigns.map(campaignRow).filter((r): r is CampaignRow => r !== null)
    : [];
  const meta: KeyValue[] = Object.entries(summary)
    .filter(([, v]) => isScalar(v))
    .map(([key, value]) => ({ key, value: value as Scalar }));

  // messages.jsonl: per day and channel, and replenishment products.
  const perDay = new Map<string, Map<string, number>>();
  const byChannel = new Map<string, number>();
  const products = new Map<string, ProductCount>();
  let messageTotal = 0;
  let replenishmentMessages = 0;
  const messagesFile = await eachObject(dir, 'messages.jsonl', (m) => {
    const channel = str(m.channel);
    const day = utcDay(m.sendAt) ?? utcDay(m.createdAt);
    if (channel === null || day === null) return false;
    messageTotal++;
    increment(byChannel, channel);
    let counts = perDay.get(day);
    if (counts === undefined) {
      counts = new Map();
      perDay.set(day, counts);
    }
    increment(counts, channel);
    if (m.trigger === 'replenishment') {
      replenishmentMessages++;
      const vars = isObject(m.variables) ? m.variables : {};
      const sku = isScalar(vars.sku) && vars.sku !== null ? String(vars.sku) : null;
      const named = isScalar(vars.product) && vars.product !== null ? String(vars.product) : null;
      const product = named ?? sku ?? '(unknown product)';
      const key = `${product}\u0000${sku ?? ''}`;
      const entry = products.get(key);
      if (entry === undefined) {
        const category = typeof vars.category === 'string' && vars.category !== '' ? vars.category : null;
        products.set(key, { product, sku, category, messages: 1 });
      } else entry.messages++;
    }
    return true;
  });

  // bonuses.jsonl: ledger entries by campaign and by reason.
  const ledgerByCampaign = new Map<string | null, LedgerByCampaign>();
  const ledgerByReason = new Map<string, LedgerByReason>();
  let ledgerEntries = 0;
  let ledgerPoints = 0;
  const bonusesFile = await eachObject(dir, 'bonuses.jsonl', (e) => {
    if (typeof e.points !== 'number' || !Number.isFinite(e.points)) return false;
    const campaignId = str(e.campaignId);
    const reason = str(e.reason) ?? '(none)';
    ledgerEntries++;
    ledgerPoints += e.points;
    const c = ledgerByCampaign.get(campaignId) ?? { campaignId, entries: 0, points: 0 };
    c.entries++;
    c.points += e.points;
    ledgerByCampaign.set(campaignId, c);
    const r = ledgerByReason.get(reason) ?? { reason, entries: 0, points: 0 };
    r.entries++;
    r.points += e.points;
    ledgerByReason.set(reason, r);
    return true;
  });

  // suppressed.jsonl: by reason and by campaign (from the summary rows when the file is missing).
  const suppressedByReason = new Map<string, number>();
  const suppressedByCampaign = new Map<string, Map<string, number>>();
  const countSuppressed = (campaignId: string, reason: string, n: number) => {
    increment(suppressedByReason, reason, n);
    let reasons = suppressedByCampaign.get(campaignId);
    if (reasons === undefined) {
      reasons = new Map();
      suppressedByCampaign.set(campaignId, reasons);
    }
    increment(reasons, reason, n);
  };
  const suppressedFile = await eachObject(dir, 'suppressed.jsonl', (s) => {
    const campaignId = str(s.campaignId);
    const reason = str(s.reason);
    if (campaignId === null || reason === null) return false;
    countSuppressed(campaignId, reason, 1);
    return true;
  });
  if (!suppressedFile.present)
    for (const row of campaigns)
      for (const [reason, n] of Object.entries(row.suppressed))
        if (n > 0) countSuppressed(row.campaignId, reason, n);

  // rejected.jsonl: by rule, and the first lines as examples.
  const rejectedByRule = new Map<string, number>();
  const samples: RejectedSample[] = [];
  let rejectedTotal = 0;
  const rejectedFile = await eachObject(dir, 'rejected.jsonl', (r) => {
    const rule = str(r.rule) ?? '(none)';
    rejectedTotal++;
    increment(rejectedByRule, rule);
    if (samples.length < REJECTED_SAMPLES)
      samples.push({
        line: typeof r.line === 'number' ? r.line : null,
        eventId: str(r.eventId),
        reason: str(r.reason) ?? '',
        path: str(r.path) ?? '',
        rule,
      });
    return true;
  });

  const summaryBytes = (await fileSize(join(dir, 'summary.json'))) ?? 0;
  const measurement = parseMeasurement(summary.measurement);
  const allProducts = [...products.values()].sort(
    (a, b) => b.messages - a.messages || compare(a.product, b.product) || compare(a.sku ?? '', b.sku ?? ''),
  );

  return {
    version: REPORT_DATA_VERSION,
    run: basename(resolve(dir)),
    generatedAt: (options.now ?? new Date()).toISOString(),
    files: [
      messagesFile,
      bonusesFile,
      suppressedFile,
      rejectedFile,
      { name: 'summary.json', present: true, bytes: summaryBytes, lines: 0, skipped: 0 },
    ],
    meta,
    requests: flattenScalars(summary.requests),
    units: summary.units === undefined ? null : flattenScalars(summary.units),
    campaigns,
    messages: {
      total: messageTotal,
      byChannel: Object.fromEntries(byChannel),
      perDay: dailySeries(perDay, channelOrder(byChannel.keys())),
    },
    bonuses: {
      entries: ledgerEntries,
      points: ledgerPoints,
      byCampaign: [...ledgerByCampaign.values()].sort(
        (a, b) => b.entries - a.entries || compare(a.campaignId ?? '', b.campaignId ?? ''),
      ),
      byReason: [...ledgerByReason.values()].sort(
        (a, b) => b.entries - a.entries || compare(a.reason, b.reason),
      ),
    },
    suppressions: {
      source: suppressedFile.present ? 'suppressed.jsonl' : 'summary.json',
      total: [...suppressedByReason.values()].reduce((a, b) => a + b, 0),
      byReason: ranked(suppressedByReason),
      byCampaign: [...suppressedByCampaign]
        .map(([campaignId, reasons]) => ({
          campaignId,
          total: [...reasons.values()].reduce((a, b) => a + b, 0),
          byReason: Object.fromEntries(ranked(reasons).map((r) => [r.key, r.count])),
        }))
        .sort((a, b) => b.total - a.total || compare(a.campaignId, b.campaignId)),
    },
    deferrals: campaigns
      .filter((c) => c.deferred > 0)
      .map((c) => ({ campaignId: c.campaignId, deferred: c.deferred, fired: c.fired }))
      .sort((a, b) => b.deferred - a.deferred || compare(a.campaignId, b.campaignId)),
    replenishment: {
      messages: replenishmentMessages,
      products: allProducts.length,
      top: allProducts.slice(0, TOP_PRODUCTS),
    },
    rejected: { total: rejectedTotal, byRule: ranked(rejectedByRule), samples },
    cost: costData(summary.cost),
    measurement: measurement.type === 'Measured' ? measurement.results : null,
    measurementProblem: measurement.type === 'Invalid' ? measurement.reason : null,
  };
}
