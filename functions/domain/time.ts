/**
 * Calendar and time-zone arithmetic: local wall time of an instant, the instant of a local wall time,
 * quiet hours and "next 10:00 in the customer's zone".
 *
 * Pure: no clock is read, every instant is a parameter in epoch milliseconds. The only dependency is
 * `Intl.DateTimeFormat`, used solely to learn a zone's UTC offset; offsets are cached per zone and
 * 15-minute UTC bucket, and the local fields are derived from instant + offset with integer arithmetic,
 * without creating a Date.
 *
 * Most transitions fall on 15-minute UTC boundaries, but not all: America/St_Johns switched at 00:01
 * local (03:31 / 02:31 UTC) from 1988 to 2011. So every bucket is checked at its first and last minute;
 * a bucket with a transition inside is kept as "split" with the transition minute. Assumed: transitions
 * fall on whole minutes and no two fall within one bucket. Historical local mean time (offsets with
 * seconds, before ~1900) breaks the first assumption and can be off by up to a minute.
 *
 * Local dates are proleptic Gregorian.
 */

export const MS_PER_MINUTE = 60_000;
export const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;

/** A calendar date; `month` is 1..12. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

/** A local wall time at minute precision; `weekday` is 0 = Sunday .. 6 = Saturday. */
export interface LocalDateTime extends LocalDate {
  hour: number;
  minute: number;
  weekday: number;
}

/** Local hours `[start, end)`; wraps midnight when `start > end` (21 → 9); `start === end` means none. */
export interface QuietHours {
  start: number;
  end: number;
}

// ---------------------------------------------------------------------------------------------
// Civil calendar (days since 1970-01-01, proleptic Gregorian; H. Hinnant's days-from-civil)
// ---------------------------------------------------------------------------------------------

/** Days since 1970-01-01 of a date; `day` may overflow or underflow the month (linear in `day`). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

/** The date `days` days after 1970-01-01 (inverse of daysFromCivil). */
function dateFromDays(days: number): LocalDate {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097; // [0, 146096]: small non-negative integers below, so `| 0` floors
  const yoe = ((doe - ((doe / 1460) | 0) + ((doe / 36_524) | 0) - ((doe / 146_096) | 0)) / 365) | 0;
  const doy = doe - (365 * yoe + ((yoe / 4) | 0) - ((yoe / 100) | 0));
  const mp = ((5 * doy + 2) / 153) | 0;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day: doy - (((153 * mp + 2) / 5) | 0) + 1 };
}

/** Local wall time as "milliseconds since 1970-01-01T00:00 on the wall", normalizing overflow like Date.UTC. */
function wallMs(year: number, month: number, day: number, hour: number, minute: number): number {
  const monthIndex = Math.trunc(month) - 1;
  const y = Math.trunc(year) + Math.floor(monthIndex / 12);
  const m = monthIndex - Math.floor(monthIndex / 12) * 12 + 1;
  return (
    daysFromCivil(y, m, Math.trunc(day)) * MS_PER_DAY +
    Math.trunc(hour) * MS_PER_HOUR +
    Math.trunc(minute) * MS_PER_MINUTE
  );
}

export function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

export function daysInMonth(year: number, month: number): number {
  if (!Number.isInteger(month) || month < 1 || month > 12) throw new RangeError(`Invalid month: ${month}`);
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Calendar arithmetic: the date `days` days after `date` (negative goes back). */
export function addDays(date: LocalDate, days: number): LocalDate {
  return dateFromDays(daysFromCivil(date.year, date.month, date.day) + days);
}

/** Adds calendar months and clamps the day to the target month: Jan 31 + 1 → Feb 28 (or 29). */
export function addMonthsClamped(date: LocalDate, months: number): LocalDate {
  const total = date.year * 12 + (date.month - 1) + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12 + 1;
  return { year, month, day: Math.min(date.day, daysInMonth(year, month)) };
}

/** Negative when `a` is before `b`, 0 when equal, positive when after. */
export function compareDates(a: LocalDate, b: LocalDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

/** `b - a` in whole days. */
export function daysBetween(a: LocalDate, b: LocalDate): number {
  return daysFromCivil(b.year, b.month, b.day) - daysFromCivil(a.year, a.month, a.day);
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/** 'YYYY-MM-DD' (a negative year gets a leading '-'). */
export function formatDate(date: LocalDate): string {
  const year = `${Math.abs(date.year)}`.padStart(4, '0');
  return `${date.year < 0 ? '-' : ''}${year}-${pad2(date.month)}-${pad2(date.day)}`;
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses a strict 'YYYY-MM-DD' into a real calendar date; anything else (2026-02-30 too) is null. */
export function parseDate(s: string): LocalDate | null {
  const match = DATE_PATTERN.exec(s);
  if (match === null) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return { year, month, day };
}

/**
 * The instant a UTC day 'YYYY-MM-DD' starts: `Date.parse(`${day}T00:00:00.000Z`)`, NaN included, without
 * building and parsing the string for a real calendar day (points buckets are read on every evaluation).
 */
export function startOfUtcDay(day: string): number {
  return calendarDayStart(day) ?? Date.parse(`${day}T00:00:00.000Z`);
}

/**
 * `Date.parse(iso)`, read by hand when the string is an instant as `toISOString` writes it
 * ('YYYY-MM-DDTHH:MM:SS.sssZ', every stored instant): hot paths read many of them.
 */
export function parseInstant(iso: string): number {
  if (
    iso.length === 24 &&
    iso.charCodeAt(10) === 84 && // T
    iso.charCodeAt(13) === 58 && // :
    iso.charCodeAt(16) === 58 &&
    iso.charCodeAt(19) === 46 && // .
    iso.charCodeAt(23) === 90 // Z
  ) {
    const day = calendarDayStart(iso.slice(0, 10));
    const hour = digitsAt(iso, 11, 13);
    const minute = digitsAt(iso, 14, 16);
    const second = digitsAt(iso, 17, 19);
    const ms = digitsAt(iso, 20, 23);
    if (
      day !== undefined &&
      hour >= 0 &&
      hour <= 23 &&
      minute >= 0 &&
      minute <= 59 &&
      second >= 0 &&
      second <= 59 &&
      ms >= 0
    ) {
      return day + hour * MS_PER_HOUR + minute * MS_PER_MINUTE + second * 1000 + ms;
    }
  }
  return Date.parse(iso);
}

/** The instant a real calendar day 'YYYY-MM-DD' starts (UTC); undefined for any other string. */
export function calendarDayStart(day: string): number | undefined {
  if (day.length !== 10 || day.charCodeAt(4) !== 45 || day.charCodeAt(7) !== 45) return undefined;
  const year = digitsAt(day, 0, 4);
  const month = digitsAt(day, 5, 7);
  const date = digitsAt(day, 8, 10);
  if (year >= 0 && month >= 1 && month <= 12 && date >= 1 && date <= daysInMonth(year, month)) {
    return daysFromCivil(year, month, date) * MS_PER_DAY;
  }
  return undefined;
}

/** The value of the ASCII digits of `s` in [from, to), or -1 when one is not a digit. */
function digitsAt(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** The UTC calendar day of an instant, 'YYYY-MM-DD'. */
export function utcDay(instantMs: number): string {
  assertInstant(instantMs);
  return formatDate(dateFromDays(Math.floor(instantMs / MS_PER_DAY)));
}

// ---------------------------------------------------------------------------------------------
// Zone offsets: one Intl formatter per zone, offsets cached per 15-minute UTC bucket
// ---------------------------------------------------------------------------------------------

const BUCKET_MS = 15 * MS_PER_MINUTE;
/** The cached "offset" of a bucket with a transition inside; the real offsets are in `ZoneState.splits`. */
const SPLIT = 0x7fff_ffff;
/** Buckets per page of the second cache level: one UTC day. */
const PAGE_BUCKETS = 96;
/** A page entry not looked up yet (no offset is 24 days). */
const UNKNOWN = 0x7fff_fffe;
/**
 * A zone's second level is cleared when it grows past this many pages (distinct UTC days, ~55 years;
 * under 10 MB). A schedule looks a year or two ahead and back: a bound of a few hundred days would make
 * a long run ask Intl again and again.
 */
const MAX_PAGES_PER_ZONE = 20_000;
const MAX_VALIDITY_ENTRIES = 10_000;
/** Size of the direct-mapped level (a power of two). */
const SLOTS = 4096;

/** A bucket with a transition at `at` (a whole minute inside it). */
interface SplitBucket {
  readonly at: number;
  readonly before: number;
  readonly after: number;
}

/**
 * Per-zone offset cache, two levels: a direct-mapped table indexed by the low bits of the bucket (exact
 * keys, compact typed arrays, no hashing: about 42 days of consecutive buckets without a collision) in
 * front of a bounded Map of pages (one typed array of the day's 96 buckets per UTC day), in front of Intl.
 */
interface ZoneState {
  readonly format: Intl.DateTimeFormat;
  /** Results of `fromLocal` and `startOfLocalDay` by wall minute, and of `nextLocalHourAtOrAfter` by
   * hour and instant: pure functions of the zone's offsets, asked again and again by schedules. */
  readonly fromWall: Map<number, number>;
  readonly dayStart: Map<number, number>;
  readonly nextHour: Map<number, number>;
  readonly pages: Map<number, Int32Array>;
  readonly splits: Map<number, SplitBucket>;
  readonly slotBuckets: Float64Array;
  readonly slotOffsets: Int32Array;
}

const zoneStates = new Map<string, ZoneState>();
const validity = new Map<string, boolean>();
let lastZone: string | undefined;
let lastState: ZoneState | undefined;

function createFormat(zone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    era: 'short',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
}

/** Whether `zone` is an IANA time zone this runtime knows (results cached). */
export function isValidTimeZone(zone: string): boolean {
  if (zoneStates.has(zone)) return true;
  let valid = validity.get(zone);
  if (valid === undefined) {
    try {
      createFormat(zone);
      valid = zone.length > 0;
    } catch {
      valid = false;
    }
    if (validity.size >= MAX_VALIDITY_ENTRIES) validity.clear();
    validity.set(zone, valid);
  }
  return valid;
}

function stateFor(zone: string): ZoneState {
  let state = zoneStates.get(zone);
  if (state === undefined) {
    // Throws RangeError for an unknown zone, like Intl does.
    state = {
      format: createFormat(zone),
      fromWall: new Map(),
      dayStart: new Map(),
      nextHour: new Map(),
      pages: new Map(),
      splits: new Map(),
      slotBuckets: new Float64Array(SLOTS).fill(Number.NaN),
      slotOffsets: new Int32Array(SLOTS),
    };
    zoneStates.set(zone, state);
  }
  return state;
}

/** Offset (local - UTC, ms) at `instantMs` straight from Intl: the slow path. */
function intlOffsetMs(format: Intl.DateTimeFormat, instantMs: number): number {
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let bc = false;
  for (const part of format.formatToParts(instantMs)) {
    switch (part.type) {
      case 'year':
        year = Number(part.value);
        break;
      case 'month':
        month = Number(part.value);
        break;
      case 'day':
        day = Number(part.value);
        break;
      case 'hour':
        hour = Number(part.value) % 24; // guards against a '24' from old ICU data
        break;
      case 'minute':
        minute = Number(part.value);
        break;
      case 'second':
        second = Number(part.value);
        break;
      case 'era':
        bc = part.value === 'BC' || part.value === 'B';
        break;
      default:
        break;
    }
  }
  if (bc) year = 1 - year;
  const wall =
    daysFromCivil(year, month, day) * MS_PER_DAY +
    hour * MS_PER_HOUR +
    minute * MS_PER_MINUTE +
    second * 1000;
  return wall - (instantMs - (((instantMs % 1000) + 1000) % 1000));
}

function assertInstant(instantMs: number): void {
  if (!Number.isFinite(instantMs)) throw new RangeError(`Invalid instant: ${instantMs}`);
}

/** A bucket's offset from Intl, or SPLIT (and an entry in `splits`) when a transition falls inside it. */
function bucketOffset(state: ZoneState, bucket: number): number {
  const start = bucket * BUCKET_MS;
  const lastMinute = start + BUCKET_MS - MS_PER_MINUTE;
  const before = intlOffsetMs(state.format, start);
  const after = intlOffsetMs(state.format, lastMinute);
  if (before === after) return before;
  let below = start;
  let above = lastMinute;
  while (above - below > MS_PER_MINUTE) {
    const mid = below + Math.floor((above - below) / 2 / MS_PER_MINUTE) * MS_PER_MINUTE;
    if (intlOffsetMs(state.format, mid) === before) below = mid;
    else above = mid;
  }
  state.splits.set(bucket, { at: above, before, after });
  return SPLIT;
}

function splitOffset(state: ZoneState, bucket: number, instantMs: number): number {
  let split = state.splits.get(bucket);
  if (split === undefined) {
    // Dropped with the rest of the zone's cache: find it again.
    bucketOffset(state, bucket);
    split = state.splits.get(bucket);
    if (split === undefined) return intlOffsetMs(state.format, instantMs - (instantMs % MS_PER_MINUTE));
  }
  return instantMs < split.at ? split.before : split.after;
}

/** The zone's cache (the last zone asked is kept at hand); throws RangeError for an unknown zone. */
function zoneState(zone: string): ZoneState {
  let state = lastState;
  if (zone !== lastZone || state === undefined) {
    state = stateFor(zone);
    lastZone = zone;
    lastState = state;
  }
  return state;
}

/** A zone's result caches are cleared when one grows past this many entries. */
const MAX_RESULTS_PER_ZONE = 100_000;

function remember(cache: Map<number, number>, key: number, value: number): number {
  if (cache.size >= MAX_RESULTS_PER_ZONE) cache.clear();
  cache.set(key, value);
  return value;
}

/** Offset (local - UTC) in milliseconds; the hot path. */
function offsetMs(instantMs: number, zone: string): number {
  assertInstant(instantMs);
  const state = zoneState(zone);
  // Literals instead of BUCKET_MS, SLOTS - 1 and SPLIT: V8 does not constant-fold module-level bindings.
  const bucket = Math.floor(instantMs / 900_000);
  const slot = bucket & 4095;
  let offset: number | undefined;
  if (state.slotBuckets[slot] === bucket) {
    offset = state.slotOffsets[slot] ?? 0;
  } else {
    const day = Math.floor(bucket / 96);
    let page = state.pages.get(day);
    if (page === undefined) {
      if (state.pages.size >= MAX_PAGES_PER_ZONE) {
        state.pages.clear();
        state.splits.clear();
      }
      page = new Int32Array(PAGE_BUCKETS).fill(UNKNOWN);
      state.pages.set(day, page);
    }
    const index = bucket - day * 96;
    offset = page[index] ?? UNKNOWN;
    if (offset === UNKNOWN) {
      offset = bucketOffset(state, bucket);
      page[index] = offset;
    }
    state.slotBuckets[slot] = bucket;
    state.slotOffsets[slot] = offset;
  }
  return offset === 0x7fff_ffff ? splitOffset(state, bucket, instantMs) : offset;
}

/**
 * The UTC offset of `zone` at `instantMs` in minutes, local - UTC (+180 for Moscow). Fractional only for
 * historical offsets with seconds (Africa/Monrovia was -0:44:30 until 1972).
 */
export function offsetMinutes(instantMs: number, zone: string): number {
  return offsetMs(instantMs, zone) / MS_PER_MINUTE;
}

/** The local wall time (minute precision) of an instant in `zone`. Throws RangeError for an unknown zone. */
export function toLocal(instantMs: number, zone: string): LocalDateTime {
  // Literal constants: V8 does not constant-fold module-level bindings (see offsetMs).
  const local = instantMs + offsetMs(instantMs, zone);
  const days = Math.floor(local / 86_400_000);
  const msOfDay = local - days * 86_400_000; // [0, 86_400_000): `| 0` floors
  const hour = (msOfDay / 3_600_000) | 0;
  // dateFromDays, inlined: this is the hot path and the intermediate object would cost a third of it.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = ((doe - ((doe / 1460) | 0) + ((doe / 36_524) | 0) - ((doe / 146_096) | 0)) / 365) | 0;
  const doy = doe - (365 * yoe + ((yoe / 4) | 0) - ((yoe / 100) | 0));
  const mp = ((5 * doy + 2) / 153) | 0;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return {
    year: yoe + era * 400 + (month <= 2 ? 1 : 0),
    month,
    day: doy - (((153 * mp + 2) / 5) | 0) + 1,
    hour,
    minute: ((msOfDay - hour * 3_600_000) / 60_000) | 0,
    weekday: (((days + 4) % 7) + 7) % 7, // 1970-01-01 was a Thursday
  };
}

/** The local calendar date of an instant in `zone`. */
export function localDateOf(instantMs: number, zone: string): LocalDate {
  const days = Math.floor((instantMs + offsetMs(instantMs, zone)) / MS_PER_DAY);
  return dateFromDays(days);
}

// ---------------------------------------------------------------------------------------------
// Local wall time → instant
// ---------------------------------------------------------------------------------------------

/**
 * The first whole minute in `(lo, hi]` whose offset differs from `offset`, given that the offset at `lo`
 * is `offset` and at `hi` is not (one transition in between): the transition instant.
 */
function firstTransition(zone: string, lo: number, hi: number, offset: number): number {
  let below = Math.floor(lo / MS_PER_MINUTE);
  let above = Math.floor(hi / MS_PER_MINUTE);
  while (above - below > 1) {
    const mid = Math.floor((below + above) / 2);
    if (offsetMs(mid * MS_PER_MINUTE, zone) === offset) below = mid;
    else above = mid;
  }
  return above * MS_PER_MINUTE;
}

const UNIQUE = 0;
const AMBIGUOUS = 1;
const GAP = 2;
type Resolution = typeof UNIQUE | typeof AMBIGUOUS | typeof GAP;

// Scratch output of resolveWall.
let resolvedEarlier = 0;
let resolvedLater = 0;

/**
 * Finds the instants whose wall time in `zone` is `wall`. Unique / Ambiguous: `resolvedEarlier` and
 * `resolvedLater` (equal when unique). Gap: `resolvedEarlier` is the instant with the offset before
 * the gap (the 'compatible' shift forward) and `resolvedLater` the transition instant itself.
 */
function resolveWall(zone: string, wall: number): Resolution {
  // Offsets are within ±14 h, so every instant with this wall time lies strictly inside wall ± 1 day.
  const before = offsetMs(wall - MS_PER_DAY, zone);
  const after = offsetMs(wall + MS_PER_DAY, zone);
  const first = wall - before;
  const second = wall - after;
  const firstValid = offsetMs(first, zone) === before;
  const secondValid = before !== after && offsetMs(second, zone) === after;
  if (firstValid && secondValid) {
    resolvedEarlier = Math.min(first, second);
    resolvedLater = Math.max(first, second);
    return AMBIGUOUS;
  }
  if (firstValid || secondValid) {
    resolvedEarlier = resolvedLater = firstValid ? first : second;
    return UNIQUE;
  }
  if (before === after) {
    // Two transitions within a day of each other; fall back to the offset found at the guess.
    const offset = offsetMs(first, zone);
    resolvedEarlier = resolvedLater = wall - offset;
    return UNIQUE;
  }
  resolvedEarlier = first;
  resolvedLater = firstTransition(zone, wall - MS_PER_DAY, first, before);
  return GAP;
}

/**
 * The instant of a local wall time in `zone`. Overflowing fields are normalized like Date.UTC does
 * (day 32 → next month, hour 24 → next day). In a DST gap the wall time is shifted forward by the gap
 * (02:30 → 03:30 for a 1 h gap, Temporal's 'compatible'); in an overlap the earlier instant wins.
 */
export function fromLocal(
  zone: string,
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
): number {
  const wall = wallMs(year, month, day, hour, minute);
  if (!Number.isFinite(wall))
    throw new RangeError(`Invalid local time: ${year}-${month}-${day} ${hour}:${minute}`);
  // Walls are whole minutes (wallMs truncates its fields).
  const cache = zoneState(zone).fromWall;
  const known = cache.get(wall / MS_PER_MINUTE);
  if (known !== undefined) return known;
  resolveWall(zone, wall);
  return remember(cache, wall / MS_PER_MINUTE, resolvedEarlier);
}

/** The first instant of a local day: midnight, or the end of the gap when midnight does not exist. */
export function startOfLocalDay(zone: string, date: LocalDate): number {
  const wall = wallMs(date.year, date.month, date.day, 0, 0);
  if (!Number.isFinite(wall)) return resolveWall(zone, wall) === GAP ? resolvedLater : resolvedEarlier;
  const cache = zoneState(zone).dayStart;
  const known = cache.get(wall / MS_PER_MINUTE);
  if (known !== undefined) return known;
  const start = resolveWall(zone, wall) === GAP ? resolvedLater : resolvedEarlier;
  return remember(cache, wall / MS_PER_MINUTE, start);
}

/** `hour:00` local on `date`; the same as `fromLocal(zone, y, m, d, hour, 0)`. */
export function atLocalHour(zone: string, date: LocalDate, hour: number): number {
  return fromLocal(zone, date.year, date.month, date.day, hour, 0);
}

// ---------------------------------------------------------------------------------------------
// Quiet hours and "next hour:00"
// ---------------------------------------------------------------------------------------------

function assertHour(hour: number, name: string): void {
  if (!Number.isInteger(hour) || hour < 0 || hour > 23) throw new RangeError(`Invalid ${name}: ${hour}`);
}

/** Whether a wall time (ms since the wall epoch) is inside the quiet hours. */
function isQuietWall(wall: number, quiet: QuietHours): boolean {
  const hour = Math.floor((wall - Math.floor(wall / MS_PER_DAY) * MS_PER_DAY) / MS_PER_HOUR);
  return quiet.start < quiet.end
    ? hour >= quiet.start && hour < quiet.end
    : hour >= quiet.start || hour < quiet.end;
}

/** The first wall time `>= wall` that reads `hour:00:00.000`. */
function nextWallAtHour(wall: number, hour: number): number {
  const target = Math.floor(wall / MS_PER_DAY) * MS_PER_DAY + hour * MS_PER_HOUR;
  return target >= wall ? target : target + MS_PER_DAY;
}

/** Bound on the transitions crossed while walking forward (never more than 2 in practice). */
const MAX_SEGMENTS = 8;

/** Whether local time in `zone` at `instantMs` is inside the quiet hours. */
export function isQuiet(instantMs: number, zone: string, quiet: QuietHours): boolean {
  if (quiet.start === quiet.end) return false;
  return isQuietWall(instantMs + offsetMs(instantMs, zone), quiet);
}

/**
 * `instantMs` itself when it is not quiet; otherwise the first instant after it that is not: the local
 * `end:00`, or the transition instant when a DST change ends the quiet hours (e.g. end:00 in a gap).
 */
export function nextAllowedInstant(instantMs: number, zone: string, quiet: QuietHours): number {
  if (!isQuiet(instantMs, zone, quiet)) return instantMs;
  assertHour(quiet.end, 'quiet end hour');
  let current = instantMs;
  for (let segment = 0; segment < MAX_SEGMENTS; segment++) {
    // Walk a segment of constant offset: the quiet hours end at the next end:00 on the wall...
    const offset = offsetMs(current, zone);
    const candidate = nextWallAtHour(current + offset, quiet.end) - offset;
    if (offsetMs(candidate, zone) === offset) return candidate;
    // ...unless a transition comes first: allowed right at it, or continue from it.
    const transition = firstTransition(zone, current, candidate, offset);
    if (!isQuietWall(transition + offsetMs(transition, zone), quiet)) return transition;
    current = transition;
  }
  throw new Error(`Quiet hours never end in ${zone} after ${instantMs}`);
}

/**
 * The earliest instant `>= instantMs` whose local wall time is `hour:00` (after a fall-back, the
 * repeated `hour:00` counts too). When `hour:00` falls in a gap that day, the instant it shifts to
 * ('compatible', as in `fromLocal`).
 */
export function nextLocalHourAtOrAfter(instantMs: number, zone: string, hour: number): number {
  assertHour(hour, 'hour');
  assertInstant(instantMs);
  const cache = zoneState(zone).nextHour;
  // Whole milliseconds within ±8,900 years and whole hours: the key is exact (below 2^53).
  if (!Number.isInteger(instantMs) || Math.abs(instantMs) > 2 ** 48)
    return findLocalHourAtOrAfter(instantMs, zone, hour);
  const key = instantMs * 24 + hour;
  const known = cache.get(key);
  if (known !== undefined) return known;
  return remember(cache, key, findLocalHourAtOrAfter(instantMs, zone, hour));
}

function findLocalHourAtOrAfter(instantMs: number, zone: string, hour: number): number {
  let current = instantMs;
  for (let segment = 0; segment < MAX_SEGMENTS; segment++) {
    const offset = offsetMs(current, zone);
    const target = nextWallAtHour(current + offset, hour);
    const candidate = target - offset;
    if (offsetMs(candidate, zone) === offset) return candidate;
    const transition = firstTransition(zone, current, candidate, offset);
    const wallAfter = transition + offsetMs(transition, zone);
    // Skipped over by a spring-forward gap: shift forward by the gap, which is `candidate` itself.
    if (wallAfter > transition + offset && target < wallAfter) return candidate;
    current = transition;
  }
  throw new Error(`No ${hour}:00 in ${zone} after ${instantMs}`);
}
