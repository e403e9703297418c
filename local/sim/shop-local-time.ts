/**
 * Local wall-clock ↔ UTC for the simulator, through `Intl` (DST-correct, any IANA zone).
 *
 * Kept separate from the domain's time module on purpose: the simulator must not share code with
 * what it tests. Offsets are cached (see `offsetMs`), so a run of a million orders calls `Intl` only a
 * few thousand times.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

function computeOffset(zone: string, ms: number): number {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(zone).formatToParts(ms)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const wall = Date.UTC(
    fields.year ?? 1970,
    (fields.month ?? 1) - 1,
    fields.day ?? 1,
    fields.hour ?? 0,
    fields.minute ?? 0,
    fields.second ?? 0,
  );
  return wall - Math.floor(ms / 1000) * 1000;
}

const BLOCK_MS = 30 * DAY_MS;

/** An offset that is constant over a 30-day block, or changes once inside it at `changeAt`. */
interface Block {
  before: number;
  after: number;
  changeAt: number;
}

const boundaryOffsets = new Map<string, Map<number, number>>();
const blocks = new Map<string, Map<number, Block>>();
let lastZone: string | null = null;
let lastIndex = Number.NaN;
let lastBlock: Block = { before: 0, after: 0, changeAt: 0 };

function mapFor<V>(cache: Map<string, Map<number, V>>, zone: string): Map<number, V> {
  let byZone = cache.get(zone);
  if (byZone === undefined) {
    byZone = new Map();
    cache.set(zone, byZone);
  }
  return byZone;
}

function boundaryOffset(zone: string, block: number): number {
  const byBoundary = mapFor(boundaryOffsets, zone);
  let offset = byBoundary.get(block);
  if (offset === undefined) {
    offset = computeOffset(zone, block * BLOCK_MS);
    byBoundary.set(block, offset);
  }
  return offset;
}

/** The block's offsets; a change inside it is located to the hour by bisection (about ten `Intl` calls). */
function blockOf(zone: string, block: number): Block {
  const before = boundaryOffset(zone, block);
  const after = boundaryOffset(zone, block + 1);
  if (before === after) return { before, after, changeAt: Number.POSITIVE_INFINITY };
  let low = block * (BLOCK_MS / HOUR_MS);
  let high = (block + 1) * (BLOCK_MS / HOUR_MS);
  // Invariant: the offset at hour `low` is `before`, at hour `high` it is `after`.
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (computeOffset(zone, mid * HOUR_MS) === before) low = mid;
    else high = mid;
  }
  return { before, after, changeAt: high * HOUR_MS };
}

/**
 * The zone's offset from UTC (local − UTC, in ms) at an instant; `null` zone means UTC. Offsets are
 * cached per 30-day block with at most one change inside (true of every zone and era used here; every
 * change happens on a whole UTC hour), so a zone costs about one `Intl` call per month touched.
 */
export function offsetMs(zone: string | null, ms: number): number {
  if (zone === null) return 0;
  const index = Math.floor(ms / BLOCK_MS);
  // Calls come in runs for one customer (one zone, nearby times): remember the last block.
  if (zone === lastZone && index === lastIndex)
    return ms < lastBlock.changeAt ? lastBlock.before : lastBlock.after;
  const byBlock = mapFor(blocks, zone);
  let block = byBlock.get(index);
  if (block === undefined) {
    block = blockOf(zone, index);
    byBlock.set(index, block);
  }
  lastZone = zone;
  lastIndex = index;
  lastBlock = block;
  return ms < block.changeAt ? block.before : block.after;
}

/** Local wall-clock time as if it were UTC (ms): its `floor(/DAY_MS)` is the local day number. */
export function toWall(zone: string | null, ms: number): number {
  return ms + offsetMs(zone, ms);
}

/**
 * The UTC instant of a local wall-clock time. Two fixed-point steps settle every case; a wall time
 * inside a spring-forward gap lands an hour later, one in a fall-back overlap takes the first instant
 * the iteration reaches — deterministic either way, which is all the simulator needs.
 */
export function fromWall(zone: string | null, wall: number): number {
  const guess = wall - offsetMs(zone, wall);
  return wall - offsetMs(zone, guess);
}

/** The local hour (0..23) at an instant. */
export function localHour(zone: string | null, ms: number): number {
  return Math.floor((((toWall(zone, ms) % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
}

/** `YYYY-MM-DDT` by day number (days since 1970), filled on demand; days past the table are computed. */
const dayPrefixes: string[] = Array.from({ length: 100_000 }, () => '');
/** `HH:MM:SSZ` by second of the day, filled on demand: each time string is then one concatenation. */
const dayTails: string[] = Array.from({ length: 86_400 }, () => '');

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * `YYYY-MM-DDTHH:MM:SSZ`, the EventBridge `time` format (whole seconds). Called for every event, so both
 * halves come from tables instead of `Date#toISOString`.
 */
export function isoSeconds(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let prefix = dayPrefixes[day] ?? '';
  if (prefix === '') {
    prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    if (day >= 0 && day < dayPrefixes.length) dayPrefixes[day] = prefix;
  }
  const second = Math.floor((ms - day * DAY_MS) / 1000);
  let tail = dayTails[second] ?? '';
  if (tail === '') {
    tail = `${pad2(Math.floor(second / 3600))}:${pad2(Math.floor(second / 60) % 60)}:${pad2(second % 60)}Z`;
    dayTails[second] = tail;
  }
  return prefix + tail;
}
