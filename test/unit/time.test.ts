import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LocalDate, LocalDateTime, QuietHours } from '../../functions/domain/time.ts';
import {
  addDays,
  addMonthsClamped,
  atLocalHour,
  calendarDayStart,
  compareDates,
  daysBetween,
  daysInMonth,
  formatDate,
  fromLocal,
  isLeapYear,
  isQuiet,
  isValidTimeZone,
  localDateOf,
  MS_PER_DAY,
  MS_PER_HOUR,
  MS_PER_MINUTE,
  nextAllowedInstant,
  nextLocalHourAtOrAfter,
  offsetMinutes,
  parseDate,
  parseInstant,
  startOfLocalDay,
  startOfUtcDay,
  toLocal,
  utcDay,
} from '../../functions/domain/time.ts';

// ---------------------------------------------------------------------------------------------
// Oracle: Intl.DateTimeFormat, used independently of the code under test
// ---------------------------------------------------------------------------------------------

const ZONES = [
  'Europe/Moscow',
  'Europe/Berlin',
  'America/New_York',
  'America/St_Johns',
  'Asia/Kathmandu',
  'Pacific/Chatham',
  'Australia/Lord_Howe',
  'Pacific/Kiritimati',
  'Asia/Vladivostok',
  'Pacific/Apia',
  'UTC',
] as const;

const FROM_1990 = Date.UTC(1990, 0, 1);
const TO_2060 = Date.UTC(2060, 0, 1);
const RUNS = { numRuns: 500 };
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const oracleFormats = new Map<string, Intl.DateTimeFormat>();

function oracleFormat(zone: string): Intl.DateTimeFormat {
  let format = oracleFormats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    oracleFormats.set(zone, format);
  }
  return format;
}

interface OracleFields extends LocalDateTime {
  second: number;
}

function intlFields(instantMs: number, zone: string): OracleFields {
  const parts = new Map(
    oracleFormat(zone)
      .formatToParts(instantMs)
      .map((part) => [part.type, part.value]),
  );
  const numeric = (type: Intl.DateTimeFormatPartTypes) => Number(parts.get(type));
  return {
    year: numeric('year'),
    month: numeric('month'),
    day: numeric('day'),
    hour: numeric('hour'),
    minute: numeric('minute'),
    second: numeric('second'),
    weekday: WEEKDAYS.indexOf(parts.get('weekday') ?? ''),
  };
}

/** Local - UTC in minutes, from Intl. */
function intlOffset(instantMs: number, zone: string): number {
  const f = intlFields(instantMs, zone);
  const wall = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
  return (wall - (instantMs - (instantMs % 1000))) / MS_PER_MINUTE;
}

/** Every instant whose wall time in `zone` is the given one, ascending (empty in a gap), from Intl. */
function intlInstancesOfWall(
  zone: string,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute = 0,
) {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const offsets = new Set<number>();
  for (let k = -30; k <= 30; k++) offsets.add(intlOffset(wall + k * 30 * MS_PER_MINUTE, zone));
  return [...offsets]
    .map((offset) => wall - offset * MS_PER_MINUTE)
    .filter((candidate) => intlOffset(candidate, zone) * MS_PER_MINUTE === wall - candidate)
    .sort((a, b) => a - b);
}

/** Every offset change of `zone` in 1990..2060 (to the minute), found by weekly sampling of Intl. */
function intlTransitions(zone: string): number[] {
  const transitions: number[] = [];
  const week = 7 * MS_PER_DAY;
  let previous = intlOffset(FROM_1990, zone);
  for (let at = FROM_1990 + week; at <= TO_2060; at += week) {
    const offset = intlOffset(at, zone);
    if (offset === previous) continue;
    let lo = at - week;
    let hi = at;
    while (hi - lo > MS_PER_MINUTE) {
      const mid = lo + Math.floor((hi - lo) / 2 / MS_PER_MINUTE) * MS_PER_MINUTE;
      if (intlOffset(mid, zone) === previous) lo = mid;
      else hi = mid;
    }
    transitions.push(hi);
    previous = offset;
  }
  return transitions;
}

const TRANSITIONS = ZONES.flatMap((zone) => intlTransitions(zone).map((at) => ({ zone, at })));

const utc = (iso: string): number => Date.parse(iso);
const iso = (instantMs: number): string => new Date(instantMs).toISOString();
const date = (year: number, month: number, day: number): LocalDate => ({ year, month, day });

/** The first of `from`, `from` + 1 min, ... below `to` that satisfies `predicate`, as an ISO string. */
function firstStep(from: number, to: number, predicate: (at: number) => boolean): string | undefined {
  for (let at = from; at < to; at += MS_PER_MINUTE) if (predicate(at)) return iso(at);
  return undefined;
}

/** A zone and an instant: uniform over 1990..2060, or within ±36 h of one of the zone's transitions. */
const zonedInstant = fc.oneof(
  fc.record({ zone: fc.constantFrom(...ZONES), t: fc.integer({ min: FROM_1990, max: TO_2060 }) }),
  fc
    .tuple(fc.constantFrom(...TRANSITIONS), fc.integer({ min: -36 * MS_PER_HOUR, max: 36 * MS_PER_HOUR }))
    .map(([transition, delta]) => ({ zone: transition.zone, t: transition.at + delta })),
);
const hourArb = fc.integer({ min: 0, max: 23 });

// ---------------------------------------------------------------------------------------------

describe('oracle', () => {
  it('finds transitions on whole minutes, off the 15-minute grid only in St Johns before 2012', () => {
    // Prepare
    const quarterHour = 15 * MS_PER_MINUTE;

    // Act
    const offGrid = TRANSITIONS.filter((transition) => transition.at % quarterHour !== 0);

    // Assess
    expect(TRANSITIONS.every((transition) => transition.at % MS_PER_MINUTE === 0)).toBe(true);
    expect(new Set(offGrid.map((transition) => transition.zone))).toEqual(new Set(['America/St_Johns']));
    expect(offGrid.every((transition) => transition.at < Date.UTC(2012, 0, 1))).toBe(true);
    expect(new Set(TRANSITIONS.map((transition) => transition.zone)).size).toBeGreaterThanOrEqual(8);
  });
});

describe('isValidTimeZone', () => {
  it.each([
    ['Europe/Berlin', true],
    ['Asia/Kathmandu', true],
    ['UTC', true],
    ['Mars/Olympus_Mons', false],
    ['', false],
    ['Europe/Berlin ', false],
  ])('returns %j → %s', (zone, expected) => {
    // Prepare: nothing beyond the zone name

    // Act
    const first = isValidTimeZone(zone);
    const cached = isValidTimeZone(zone);

    // Assess
    expect(first).toBe(expected);
    expect(cached).toBe(expected);
  });
});

describe('toLocal', () => {
  it.each([
    ['Europe/Moscow', '2026-06-15T12:00:00Z', [2026, 6, 15, 15, 0, 1]],
    ['Europe/Berlin', '2026-03-29T00:59:59Z', [2026, 3, 29, 1, 59, 0]],
    ['Europe/Berlin', '2026-03-29T01:00:00Z', [2026, 3, 29, 3, 0, 0]],
    ['Europe/Berlin', '2026-10-25T00:59:00Z', [2026, 10, 25, 2, 59, 0]],
    ['Europe/Berlin', '2026-10-25T01:00:00Z', [2026, 10, 25, 2, 0, 0]],
    ['America/New_York', '2026-03-08T06:59:00Z', [2026, 3, 8, 1, 59, 0]],
    ['America/New_York', '2026-03-08T07:00:00Z', [2026, 3, 8, 3, 0, 0]],
    ['America/New_York', '2026-11-01T05:59:00Z', [2026, 11, 1, 1, 59, 0]],
    ['America/New_York', '2026-11-01T06:00:00Z', [2026, 11, 1, 1, 0, 0]],
    ['America/St_Johns', '2026-01-15T12:00:00Z', [2026, 1, 15, 8, 30, 4]],
    ['America/St_Johns', '2026-07-15T12:00:00Z', [2026, 7, 15, 9, 30, 3]],
    ['America/St_Johns', '2010-03-14T03:30:59Z', [2010, 3, 14, 0, 0, 0]], // switched at 00:01 until 2011
    ['America/St_Johns', '2010-03-14T03:31:00Z', [2010, 3, 14, 1, 1, 0]],
    ['America/St_Johns', '2010-11-07T02:30:59Z', [2010, 11, 7, 0, 0, 0]],
    ['America/St_Johns', '2010-11-07T02:31:00Z', [2010, 11, 6, 23, 1, 6]],
    ['Asia/Kathmandu', '2026-01-01T00:00:00Z', [2026, 1, 1, 5, 45, 4]],
    ['Pacific/Chatham', '2026-07-01T00:00:00Z', [2026, 7, 1, 12, 45, 3]],
    ['Pacific/Chatham', '2026-01-01T00:00:00Z', [2026, 1, 1, 13, 45, 4]],
    ['Australia/Lord_Howe', '2026-07-01T00:00:00Z', [2026, 7, 1, 10, 30, 3]],
    ['Australia/Lord_Howe', '2026-01-01T00:00:00Z', [2026, 1, 1, 11, 0, 4]],
    ['Pacific/Kiritimati', '2025-12-31T12:00:00Z', [2026, 1, 1, 2, 0, 4]],
    ['Asia/Vladivostok', '2026-12-31T14:00:00Z', [2027, 1, 1, 0, 0, 5]],
    ['Pacific/Apia', '2026-01-01T00:00:00Z', [2026, 1, 1, 13, 0, 4]],
    ['Pacific/Apia', '2011-12-30T09:59:00Z', [2011, 12, 29, 23, 59, 4]],
    ['Pacific/Apia', '2011-12-30T10:00:00Z', [2011, 12, 31, 0, 0, 6]],
    ['UTC', '2024-02-29T23:59:59.999Z', [2024, 2, 29, 23, 59, 4]],
    ['UTC', '1969-12-31T23:59:59.999Z', [1969, 12, 31, 23, 59, 3]],
  ] as const)(
    'maps %s at %s to the local wall time',
    (zone, at, [year, month, day, hour, minute, weekday]) => {
      // Prepare
      const instant = utc(at);

      // Act
      const local = toLocal(instant, zone);

      // Assess
      expect(local).toEqual({ year, month, day, hour, minute, weekday });
    },
  );

  it('agrees with Intl.DateTimeFormat for any instant 1990..2060', () => {
    fc.assert(
      fc.property(zonedInstant, ({ zone, t }) => {
        // Prepare
        const { second: _second, ...expected } = intlFields(t, zone);

        // Act
        const local = toLocal(t, zone);

        // Assess
        expect(local).toEqual(expected);
      }),
      RUNS,
    );
  });

  it('throws a RangeError for an unknown zone or a non-finite instant', () => {
    // Prepare
    const instant = utc('2026-01-01T00:00:00Z');

    // Act
    const unknownZone = () => toLocal(instant, 'Mars/Olympus_Mons');
    const notAnInstant = () => toLocal(Number.NaN, 'UTC');

    // Assess
    expect(unknownZone).toThrow(RangeError);
    expect(notAnInstant).toThrow(RangeError);
  });
});

describe('offsetMinutes', () => {
  it.each([
    ['Europe/Moscow', '2026-01-15T12:00:00Z', 180],
    ['Europe/Berlin', '2026-03-29T00:59:00Z', 60],
    ['Europe/Berlin', '2026-03-29T01:00:00Z', 120],
    ['Europe/Berlin', '2026-10-25T01:00:00Z', 60],
    ['America/New_York', '2026-07-01T12:00:00Z', -240],
    ['America/St_Johns', '2026-01-15T12:00:00Z', -210],
    ['America/St_Johns', '2026-07-15T12:00:00Z', -150],
    ['Asia/Kathmandu', '2026-07-01T12:00:00Z', 345],
    ['Pacific/Chatham', '2026-07-01T12:00:00Z', 765],
    ['Pacific/Chatham', '2026-01-01T12:00:00Z', 825],
    ['Australia/Lord_Howe', '2026-07-01T12:00:00Z', 630],
    ['Australia/Lord_Howe', '2026-01-01T12:00:00Z', 660],
    ['Pacific/Kiritimati', '2026-07-01T12:00:00Z', 840],
    ['Asia/Vladivostok', '2026-07-01T12:00:00Z', 600],
    ['Pacific/Apia', '2026-07-01T12:00:00Z', 780],
    ['Pacific/Apia', '2011-12-29T12:00:00Z', -600],
    ['UTC', '2026-07-01T12:00:00Z', 0],
  ] as const)('returns the offset of %s at %s: %i', (zone, at, expected) => {
    // Prepare
    const instant = utc(at);

    // Act
    const offset = offsetMinutes(instant, zone);

    // Assess
    expect(offset).toBe(expected);
  });

  it('stays exact after a zone cache overflows and drops a bucket with a transition inside', () => {
    // Prepare: cache the bucket holding St Johns' 02:31 UTC transition, then overflow the zone's cache
    // (20k pages, one per UTC day) without touching that bucket's slot in the direct-mapped level (4096
    // slots)
    const zone = 'America/St_Johns';
    const transition = utc('2010-11-07T02:31:00Z');
    const quarterHour = 15 * MS_PER_MINUTE;
    const bucket = Math.floor(transition / quarterHour);
    offsetMinutes(transition, zone);
    for (let k = 96, filled = 0; filled <= 20_000; k += 96) {
      if ((bucket + k) % 4096 === bucket % 4096) continue;
      offsetMinutes((bucket + k) * quarterHour, zone);
      filled++;
    }

    // Act
    const justBefore = offsetMinutes(transition - 1, zone);
    const atTransition = offsetMinutes(transition, zone);

    // Assess
    expect([justBefore, atTransition]).toEqual([-150, -210]);
  });

  it('agrees with Intl.DateTimeFormat for any instant 1990..2060', () => {
    fc.assert(
      fc.property(zonedInstant, ({ zone, t }) => {
        // Prepare
        const expected = intlOffset(t, zone);

        // Act
        const offset = offsetMinutes(t, zone);

        // Assess
        expect(offset).toBe(expected);
      }),
      RUNS,
    );
  });
});

describe('fromLocal', () => {
  it.each([
    ['Europe/Moscow', [2026, 5, 1, 10, 0], '2026-05-01T07:00:00.000Z'],
    ['Europe/Berlin', [2026, 3, 29, 2, 30], '2026-03-29T01:30:00.000Z'], // gap: 03:30 CEST
    ['Europe/Berlin', [2026, 3, 29, 3, 0], '2026-03-29T01:00:00.000Z'],
    ['Europe/Berlin', [2026, 10, 25, 2, 30], '2026-10-25T00:30:00.000Z'], // overlap: the CEST one
    ['Europe/Berlin', [2026, 10, 25, 3, 0], '2026-10-25T02:00:00.000Z'],
    ['America/New_York', [2026, 3, 8, 2, 30], '2026-03-08T07:30:00.000Z'], // gap: 03:30 EDT
    ['America/New_York', [2026, 11, 1, 1, 30], '2026-11-01T05:30:00.000Z'], // overlap: the EDT one
    ['America/St_Johns', [2026, 1, 15, 9, 0], '2026-01-15T12:30:00.000Z'],
    ['America/St_Johns', [2010, 3, 14, 0, 30], '2010-03-14T04:00:00.000Z'], // gap from 00:01: 01:30 NDT
    ['America/St_Johns', [2010, 11, 6, 23, 30], '2010-11-07T02:00:00.000Z'], // overlap from 23:01: NDT
    ['Asia/Kathmandu', [2026, 1, 1, 0, 0], '2025-12-31T18:15:00.000Z'],
    ['Pacific/Chatham', [2026, 9, 27, 2, 45], '2026-09-26T14:00:00.000Z'], // gap start: 03:45 CHADT
    ['Pacific/Chatham', [2026, 9, 27, 3, 0], '2026-09-26T14:15:00.000Z'], // gap: 04:00 CHADT
    ['Australia/Lord_Howe', [2026, 10, 4, 2, 15], '2026-10-03T15:45:00.000Z'], // 30-minute gap: 02:45
    ['Australia/Lord_Howe', [2026, 4, 5, 1, 45], '2026-04-04T14:45:00.000Z'], // 30-minute overlap
    ['Pacific/Kiritimati', [2026, 1, 1, 0, 0], '2025-12-31T10:00:00.000Z'],
    ['Asia/Vladivostok', [2027, 1, 1, 0, 0], '2026-12-31T14:00:00.000Z'],
    ['Pacific/Apia', [2011, 12, 30, 12, 0], '2011-12-30T22:00:00.000Z'], // the skipped day: +24 h
    ['UTC', [2024, 2, 29, 23, 59], '2024-02-29T23:59:00.000Z'],
  ] as const)('resolves %s %j to %s', (zone, [year, month, day, hour, minute], expected) => {
    // Prepare: nothing beyond the wall time

    // Act
    const instant = fromLocal(zone, year, month, day, hour, minute);

    // Assess
    expect(iso(instant)).toBe(expected);
  });

  it.each([
    [[2026, 1, 32, 0, 0], '2026-02-01T00:00:00.000Z'],
    [[2026, 13, 1, 0, 0], '2027-01-01T00:00:00.000Z'],
    [[2026, 0, 1, 0, 0], '2025-12-01T00:00:00.000Z'],
    [[2026, 3, 0, 0, 0], '2026-02-28T00:00:00.000Z'],
    [[2026, 3, 1, 24, 0], '2026-03-02T00:00:00.000Z'],
    [[2026, 3, 1, 0, -1], '2026-02-28T23:59:00.000Z'],
  ] as const)(
    'normalizes overflowing fields %j like Date.UTC',
    ([year, month, day, hour, minute], expected) => {
      // Prepare: nothing beyond the fields

      // Act
      const instant = fromLocal('UTC', year, month, day, hour, minute);

      // Assess
      expect(iso(instant)).toBe(expected);
      expect(instant).toBe(Date.UTC(year, month - 1, day, hour, minute));
    },
  );

  it('defaults hour and minute to 0', () => {
    // Prepare
    const zone = 'Asia/Kathmandu';

    // Act
    const instant = fromLocal(zone, 2026, 7, 1);

    // Assess
    expect(instant).toBe(fromLocal(zone, 2026, 7, 1, 0, 0));
    expect(toLocal(instant, zone)).toMatchObject({ year: 2026, month: 7, day: 1, hour: 0, minute: 0 });
  });

  it('inverts toLocal, choosing the earlier instant in an overlap', () => {
    fc.assert(
      fc.property(zonedInstant, ({ zone, t }) => {
        // Prepare
        const local = toLocal(t, zone);
        const truncated = t - (t % MS_PER_MINUTE);
        const instances = intlInstancesOfWall(
          zone,
          local.year,
          local.month,
          local.day,
          local.hour,
          local.minute,
        );

        // Act
        const instant = fromLocal(zone, local.year, local.month, local.day, local.hour, local.minute);

        // Assess
        expect(instances).toContain(truncated);
        expect(instant).toBe(instances[0]);
        expect(instant).toBeLessThanOrEqual(truncated);
      }),
      RUNS,
    );
  });

  it('shifts a wall time in a gap forward by the gap', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TRANSITIONS),
        fc.integer({ min: -90, max: 90 }),
        ({ zone, at }, minutes) => {
          // Prepare: a wall time near the transition, as the clock before it would read it
          const before = intlOffset(at - 1, zone);
          const after = intlOffset(at, zone);
          const wall = at + before * MS_PER_MINUTE + minutes * MS_PER_MINUTE;
          const w = new Date(wall);
          const inGap = after > before && minutes >= 0 && minutes < after - before;

          // Act
          const instant = fromLocal(
            zone,
            w.getUTCFullYear(),
            w.getUTCMonth() + 1,
            w.getUTCDate(),
            w.getUTCHours(),
            w.getUTCMinutes(),
          );

          // Assess
          if (inGap) expect(instant).toBe(wall - before * MS_PER_MINUTE);
          else expect(instant + intlOffset(instant, zone) * MS_PER_MINUTE).toBe(wall);
        },
      ),
      RUNS,
    );
  });
});

describe('isLeapYear', () => {
  it.each([
    [1900, false],
    [2000, true],
    [2023, false],
    [2024, true],
    [2100, false],
    [2400, true],
  ])('returns %i → %s', (year, expected) => {
    // Prepare: nothing beyond the year

    // Act
    const leap = isLeapYear(year);

    // Assess
    expect(leap).toBe(expected);
  });
});

describe('daysInMonth', () => {
  it.each([
    [2024, 2, 29],
    [2025, 2, 28],
    [1900, 2, 28],
    [2000, 2, 29],
    [2026, 1, 31],
    [2026, 4, 30],
    [2026, 12, 31],
  ])('returns %i-%i → %i', (year, month, expected) => {
    // Prepare: nothing beyond the month

    // Act
    const days = daysInMonth(year, month);

    // Assess
    expect(days).toBe(expected);
  });

  it('throws a RangeError for a month outside 1..12', () => {
    // Prepare
    const month = 13;

    // Act
    const act = () => daysInMonth(2026, month);

    // Assess
    expect(act).toThrow(RangeError);
  });
});

const dateArb = fc
  .record({
    year: fc.integer({ min: 1600, max: 2400 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 31 }),
  })
  .map(({ year, month, day }) => date(year, month, Math.min(day, daysInMonth(year, month))));

describe('addDays', () => {
  it.each([
    [date(2026, 12, 31), 1, date(2027, 1, 1)],
    [date(2024, 2, 28), 1, date(2024, 2, 29)],
    [date(2026, 3, 1), -1, date(2026, 2, 28)],
    [date(2026, 1, 15), 0, date(2026, 1, 15)],
    [date(2000, 1, 1), 366, date(2001, 1, 1)],
  ])('adds to %j %i days', (start, days, expected) => {
    // Prepare: nothing beyond the date

    // Act
    const result = addDays(start, days);

    // Assess
    expect(result).toEqual(expected);
  });

  it('agrees with Date.UTC arithmetic', () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: -100_000, max: 100_000 }), (start, days) => {
        // Prepare
        const d = new Date(Date.UTC(start.year, start.month - 1, start.day) + days * MS_PER_DAY);

        // Act
        const result = addDays(start, days);

        // Assess
        expect(result).toEqual(date(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()));
      }),
      RUNS,
    );
  });
});

describe('addMonthsClamped', () => {
  it.each([
    [date(2024, 1, 31), 1, date(2024, 2, 29)],
    [date(2025, 1, 31), 1, date(2025, 2, 28)],
    [date(2026, 3, 31), -1, date(2026, 2, 28)],
    [date(2025, 8, 31), 6, date(2026, 2, 28)],
    [date(2023, 8, 31), 6, date(2024, 2, 29)],
    [date(2026, 11, 15), 3, date(2027, 2, 15)],
    [date(2026, 1, 15), -13, date(2024, 12, 15)],
    [date(2026, 5, 31), 0, date(2026, 5, 31)],
  ])('moves %j by %i months', (start, months, expected) => {
    // Prepare: nothing beyond the date

    // Act
    const result = addMonthsClamped(start, months);

    // Assess
    expect(result).toEqual(expected);
  });

  it('keeps the day when it exists and clamps it to the month end otherwise', () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: -1200, max: 1200 }), (start, months) => {
        // Prepare
        const d = new Date(Date.UTC(start.year, start.month - 1 + months, 1));
        const year = d.getUTCFullYear();
        const month = d.getUTCMonth() + 1;

        // Act
        const result = addMonthsClamped(start, months);

        // Assess
        expect(result).toEqual(date(year, month, Math.min(start.day, daysInMonth(year, month))));
      }),
      RUNS,
    );
  });
});

describe('compareDates', () => {
  it.each([
    [date(2026, 1, 1), date(2026, 1, 2), -1],
    [date(2026, 2, 1), date(2026, 1, 31), 1],
    [date(2025, 12, 31), date(2026, 1, 1), -1],
    [date(2026, 3, 3), date(2026, 3, 3), 0],
  ])('compares %j with %j: sign %i', (a, b, sign) => {
    // Prepare: nothing beyond the dates

    // Act
    const result = compareDates(a, b);

    // Assess
    expect(Math.sign(result)).toBe(sign);
  });

  it('orders dates like daysBetween does', () => {
    fc.assert(
      fc.property(dateArb, dateArb, (a, b) => {
        // Prepare
        const expected = Math.sign(daysBetween(b, a));

        // Act
        const result = compareDates(a, b);

        // Assess
        expect(Math.sign(result)).toBe(expected);
      }),
      RUNS,
    );
  });
});

describe('daysBetween', () => {
  it.each([
    [date(2026, 1, 1), date(2026, 12, 31), 364],
    [date(2024, 1, 1), date(2025, 1, 1), 366],
    [date(2026, 3, 29), date(2026, 3, 28), -1],
    [date(1970, 1, 1), date(1970, 1, 1), 0],
  ])('counts from %j to %j: %i days', (a, b, expected) => {
    // Prepare: nothing beyond the dates

    // Act
    const days = daysBetween(a, b);

    // Assess
    expect(days).toBe(expected);
  });

  it('inverts addDays', () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: -100_000, max: 100_000 }), (start, days) => {
        // Prepare
        const end = addDays(start, days);

        // Act
        const result = daysBetween(start, end);

        // Assess
        expect(result).toBe(days);
      }),
      RUNS,
    );
  });
});

describe('formatDate', () => {
  it.each([
    [date(2026, 3, 9), '2026-03-09'],
    [date(999, 12, 31), '0999-12-31'],
    [date(2026, 11, 25), '2026-11-25'],
  ])('formats %j as %s', (value, expected) => {
    // Prepare: nothing beyond the date

    // Act
    const text = formatDate(value);

    // Assess
    expect(text).toBe(expected);
  });
});

describe('parseDate', () => {
  it.each([
    ['2026-03-09', date(2026, 3, 9)],
    ['2024-02-29', date(2024, 2, 29)],
    ['2000-02-29', date(2000, 2, 29)],
  ])('parses %s', (text, expected) => {
    // Prepare: nothing beyond the text

    // Act
    const value = parseDate(text);

    // Assess
    expect(value).toEqual(expected);
  });

  it.each([
    '2026-02-30',
    '2023-02-29',
    '1900-02-29',
    '2026-13-01',
    '2026-00-10',
    '2026-04-31',
    '2026-04-00',
    '2026-4-01',
    '26-04-01',
    '2026-04-01T00:00:00Z',
    ' 2026-04-01',
    '',
  ])('rejects %j', (text) => {
    // Prepare: nothing beyond the text

    // Act
    const value = parseDate(text);

    // Assess
    expect(value).toBeNull();
  });

  it('inverts formatDate', () => {
    fc.assert(
      fc.property(dateArb, (value) => {
        // Prepare
        const text = formatDate(value);

        // Act
        const parsed = parseDate(text);

        // Assess
        expect(parsed).toEqual(value);
      }),
      RUNS,
    );
  });
});

describe('utcDay', () => {
  it.each([
    ['2026-03-29T23:59:59.999Z', '2026-03-29'],
    ['2026-03-30T00:00:00.000Z', '2026-03-30'],
    ['1969-12-31T23:59:59.999Z', '1969-12-31'],
  ])('returns the UTC day of %s', (at, expected) => {
    // Prepare
    const instant = utc(at);

    // Act
    const day = utcDay(instant);

    // Assess
    expect(day).toBe(expected);
  });

  it('agrees with Date#toISOString', () => {
    fc.assert(
      fc.property(fc.integer({ min: FROM_1990, max: TO_2060 }), (t) => {
        // Prepare
        const expected = iso(t).slice(0, 10);

        // Act
        const day = utcDay(t);

        // Assess
        expect(day).toBe(expected);
      }),
      RUNS,
    );
  });
});

describe('startOfUtcDay', () => {
  it('is Date.parse of the day at 00:00 UTC, whatever the string', () => {
    const part = (n: number, max: number) =>
      fc.integer({ min: 0, max }).map((v) => String(v).padStart(n, '0'));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(part(4, 9999), part(2, 13), part(2, 32)).map(([y, m, d]) => `${y}-${m}-${d}`),
          fc.string({ maxLength: 12 }),
          fc.constantFrom('2024-02-29', '2023-02-29', '1900-02-29', '0000-01-01', '+2026-01-01', '2026-1-1'),
        ),
        (day) => {
          expect(startOfUtcDay(day)).toBe(Date.parse(`${day}T00:00:00.000Z`));
          // A real calendar day: also what Date.parse reads of the date alone
          const start = calendarDayStart(day);
          if (start !== undefined) expect(start).toBe(Date.parse(day));
        },
      ),
      { numRuns: 3000, seed: 5 },
    );
  });
});

describe('parseInstant', () => {
  it('is Date.parse, for the instants toISOString writes and for any other string', () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((v) => String(v).padStart(2, '0'));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -62_000_000_000_000, max: 253_000_000_000_000 }).map((t) => iso(t)),
          fc
            .tuple(fc.integer({ min: 0, max: 9999 }), two(13), two(32), two(25), two(61), two(61))
            .map(([y, mo, d, h, mi, se]) => `${String(y).padStart(4, '0')}-${mo}-${d}T${h}:${mi}:${se}.000Z`),
          fc.string({ maxLength: 26 }),
          fc.constantFrom(
            '2026-01-01T24:00:00.000Z',
            '2026-01-01T00:00:00Z',
            '2026-01-01T00:00:00.000+01:00',
          ),
        ),
        (text) => {
          expect(parseInstant(text)).toBe(Date.parse(text));
        },
      ),
      { numRuns: 3000, seed: 6 },
    );
  });
});

describe('remembered results', () => {
  it("answers again what it answered first, also after a zone's results were cleared", () => {
    // Prepare: the first answers, then over 100k other walls and instants of the same zone
    const zone = 'Europe/Berlin';
    const days = [0, 1, 86, 87, 300].map((k) => addDays({ year: 2026, month: 1, day: 1 }, k));
    const first = days.map((d) => [
      startOfLocalDay(zone, d),
      atLocalHour(zone, d, 2),
      fromLocal(zone, d.year, d.month, d.day, 2, 30),
      nextLocalHourAtOrAfter(startOfLocalDay(zone, d), zone, 2),
    ]);
    const again = () =>
      days.map((d) => [
        startOfLocalDay(zone, d),
        atLocalHour(zone, d, 2),
        fromLocal(zone, d.year, d.month, d.day, 2, 30),
        nextLocalHourAtOrAfter(startOfLocalDay(zone, d), zone, 2),
      ]);
    const remembered = again();
    for (let k = 0; k <= 100_000; k++) {
      fromLocal(zone, 2030, 1, 1, 0, k);
      nextLocalHourAtOrAfter(utc('2030-01-01T00:00:00Z') + k * MS_PER_MINUTE, zone, 2);
    }
    for (let k = 0; k <= 100_000; k++) startOfLocalDay(zone, addDays({ year: 1800, month: 1, day: 1 }, k));

    // Act
    const recomputed = again();

    // Assess
    expect(remembered).toEqual(first);
    expect(recomputed).toEqual(first);
  });
});

describe('localDateOf', () => {
  it.each([
    ['Pacific/Kiritimati', '2025-12-31T10:00:00Z', date(2026, 1, 1)],
    ['Pacific/Kiritimati', '2025-12-31T09:59:59Z', date(2025, 12, 31)],
    ['America/St_Johns', '2026-01-01T03:29:59Z', date(2025, 12, 31)],
    ['Asia/Kathmandu', '2025-12-31T18:15:00Z', date(2026, 1, 1)],
  ])('returns the local date in %s at %s', (zone, at, expected) => {
    // Prepare
    const instant = utc(at);

    // Act
    const local = localDateOf(instant, zone);

    // Assess
    expect(local).toEqual(expected);
  });

  it('returns the date fields of toLocal', () => {
    fc.assert(
      fc.property(zonedInstant, ({ zone, t }) => {
        // Prepare
        const { year, month, day } = toLocal(t, zone);

        // Act
        const local = localDateOf(t, zone);

        // Assess
        expect(local).toEqual({ year, month, day });
      }),
      RUNS,
    );
  });
});

describe('startOfLocalDay', () => {
  it.each([
    ['Europe/Berlin', date(2026, 3, 29), '2026-03-28T23:00:00.000Z'],
    ['Europe/Berlin', date(2026, 3, 30), '2026-03-29T22:00:00.000Z'],
    ['Asia/Kathmandu', date(2026, 1, 1), '2025-12-31T18:15:00.000Z'],
    ['America/Santiago', date(2026, 9, 6), '2026-09-06T04:00:00.000Z'], // midnight is in the gap: 01:00
    ['Pacific/Apia', date(2011, 12, 31), '2011-12-30T10:00:00.000Z'],
    ['Pacific/Apia', date(2011, 12, 30), '2011-12-30T10:00:00.000Z'], // a skipped day: where it would start
  ])('returns the first instant of %s %j', (zone, day, expected) => {
    // Prepare: nothing beyond the day

    // Act
    const start = startOfLocalDay(zone, day);

    // Assess
    expect(iso(start)).toBe(expected);
  });

  it('returns an instant of that day whose previous millisecond belongs to an earlier day', () => {
    fc.assert(
      fc.property(zonedInstant, ({ zone, t }) => {
        // Prepare
        const day = localDateOf(t, zone);

        // Act
        const start = startOfLocalDay(zone, day);

        // Assess
        expect(start).toBeLessThanOrEqual(t);
        expect(localDateOf(start, zone)).toEqual(day);
        expect(compareDates(intlFields(start - 1, zone), day)).toBeLessThan(0);
      }),
      RUNS,
    );
  });
});

describe('atLocalHour', () => {
  it('returns fromLocal at hour:00', () => {
    fc.assert(
      fc.property(zonedInstant, hourArb, ({ zone, t }, hour) => {
        // Prepare
        const day = localDateOf(t, zone);

        // Act
        const instant = atLocalHour(zone, day, hour);

        // Assess
        expect(instant).toBe(fromLocal(zone, day.year, day.month, day.day, hour, 0));
      }),
      RUNS,
    );
  });

  it('returns 10:00 Moscow as 07:00 UTC', () => {
    // Prepare
    const day = date(2026, 5, 9);

    // Act
    const instant = atLocalHour('Europe/Moscow', day, 10);

    // Assess
    expect(iso(instant)).toBe('2026-05-09T07:00:00.000Z');
  });
});

const quietArb = fc.record({ start: hourArb, end: hourArb });

function intlIsQuiet(instantMs: number, zone: string, quiet: QuietHours): boolean {
  const { hour } = intlFields(instantMs, zone);
  if (quiet.start === quiet.end) return false;
  return quiet.start < quiet.end
    ? hour >= quiet.start && hour < quiet.end
    : hour >= quiet.start || hour < quiet.end;
}

describe('isQuiet', () => {
  it.each([
    ['2026-06-01T17:59:59Z', { start: 21, end: 9 }, false], // 20:59 Moscow
    ['2026-06-01T18:00:00Z', { start: 21, end: 9 }, true], // 21:00
    ['2026-06-01T23:00:00Z', { start: 21, end: 9 }, true], // 02:00
    ['2026-06-02T05:59:59Z', { start: 21, end: 9 }, true], // 08:59
    ['2026-06-02T06:00:00Z', { start: 21, end: 9 }, false], // 09:00
    ['2026-06-01T21:00:00Z', { start: 0, end: 7 }, true], // 00:00
    ['2026-06-02T04:00:00Z', { start: 0, end: 7 }, false], // 07:00
    ['2026-06-01T18:00:00Z', { start: 0, end: 7 }, false], // 21:00
    ['2026-06-01T18:00:00Z', { start: 21, end: 21 }, false], // start === end: never quiet
  ])('answers for Moscow at %s with %j: %s', (at, quiet, expected) => {
    // Prepare
    const instant = utc(at);

    // Act
    const result = isQuiet(instant, 'Europe/Moscow', quiet);

    // Assess
    expect(result).toBe(expected);
  });

  it('agrees with the Intl hour', () => {
    fc.assert(
      fc.property(zonedInstant, quietArb, ({ zone, t }, quiet) => {
        // Prepare
        const expected = intlIsQuiet(t, zone, quiet);

        // Act
        const result = isQuiet(t, zone, quiet);

        // Assess
        expect(result).toBe(expected);
      }),
      RUNS,
    );
  });
});

describe('nextAllowedInstant', () => {
  it.each([
    ['Europe/Moscow', '2026-06-01T19:00:00Z', { start: 21, end: 9 }, '2026-06-02T06:00:00.000Z'],
    ['Europe/Moscow', '2026-06-01T12:34:56Z', { start: 21, end: 9 }, '2026-06-01T12:34:56.000Z'], // not quiet
    ['Europe/Moscow', '2026-06-01T22:00:00Z', { start: 0, end: 7 }, '2026-06-02T04:00:00.000Z'],
    ['Europe/Moscow', '2026-06-01T22:00:00Z', { start: 5, end: 5 }, '2026-06-01T22:00:00.000Z'],
    // Berlin spring forward: 21:00 CET → 09:00 CEST is 11 hours
    ['Europe/Berlin', '2026-03-28T20:00:00Z', { start: 21, end: 9 }, '2026-03-29T07:00:00.000Z'],
    // quiet until 02:00, which does not exist that night: allowed from 03:00 CEST, the end of the gap
    ['Europe/Berlin', '2026-03-28T22:00:00Z', { start: 21, end: 2 }, '2026-03-29T01:00:00.000Z'],
    // Berlin fall back: quiet 02:00..03:00 lasts two hours
    ['Europe/Berlin', '2026-10-25T00:30:00Z', { start: 2, end: 3 }, '2026-10-25T02:00:00.000Z'],
    // Lord Howe: quiet until 02:00, which does not exist that night: allowed from 02:30 LHDT
    ['Australia/Lord_Howe', '2026-10-03T14:00:00Z', { start: 22, end: 2 }, '2026-10-03T15:30:00.000Z'],
    ['Pacific/Chatham', '2026-07-01T10:00:00Z', { start: 21, end: 9 }, '2026-07-01T20:15:00.000Z'],
  ] as const)('returns for %s at %s with %j: %s', (zone, at, quiet, expected) => {
    // Prepare
    const instant = utc(at);

    // Act
    const result = nextAllowedInstant(instant, zone, quiet);

    // Assess
    expect(iso(result)).toBe(expected);
  });

  it('returns the earliest instant at or after t that is not quiet', () => {
    fc.assert(
      fc.property(zonedInstant, quietArb, ({ zone, t }, quiet) => {
        // Prepare
        const quietAtStart = intlIsQuiet(t, zone, quiet);

        // Act
        const result = nextAllowedInstant(t, zone, quiet);

        // Assess
        expect(result).toBeGreaterThanOrEqual(t);
        expect(intlIsQuiet(result, zone, quiet)).toBe(false);
        if (!quietAtStart) expect(result).toBe(t);
        else {
          expect(intlIsQuiet(result - 1, zone, quiet)).toBe(true);
          expect(firstStep(t, result, (at) => !isQuiet(at, zone, quiet))).toBeUndefined();
        }
      }),
      RUNS,
    );
  });

  it('returns a minute boundary at most a day away for quiet hours that do not wrap', () => {
    fc.assert(
      fc.property(
        zonedInstant,
        fc
          .integer({ min: 0, max: 22 })
          .chain((start) =>
            fc.record({ start: fc.constant(start), end: fc.integer({ min: start + 1, max: 23 }) }),
          ),
        ({ zone, t }, quiet) => {
          // Prepare
          const quietAtStart = isQuiet(t, zone, quiet);

          // Act
          const result = nextAllowedInstant(t, zone, quiet);

          // Assess
          expect(quiet.start).toBeLessThan(quiet.end);
          expect(result - t).toBeLessThan(MS_PER_DAY + MS_PER_HOUR); // + a fall-back hour
          if (quietAtStart) expect(result % MS_PER_MINUTE).toBe(0);
          expect(isQuiet(result, zone, quiet)).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it('returns t itself when start equals end', () => {
    fc.assert(
      fc.property(zonedInstant, hourArb, ({ zone, t }, hour) => {
        // Prepare
        const quiet = { start: hour, end: hour };

        // Act
        const result = nextAllowedInstant(t, zone, quiet);

        // Assess
        expect(result).toBe(t);
      }),
      RUNS,
    );
  });
});

describe('nextLocalHourAtOrAfter', () => {
  it.each([
    ['Europe/Moscow', '2026-06-01T06:00:00Z', 10, '2026-06-01T07:00:00.000Z'],
    ['Europe/Moscow', '2026-06-01T07:00:00Z', 10, '2026-06-01T07:00:00.000Z'], // exactly 10:00
    ['Europe/Moscow', '2026-06-01T07:00:00.001Z', 10, '2026-06-02T07:00:00.000Z'],
    ['Asia/Kathmandu', '2026-06-01T00:00:00Z', 9, '2026-06-01T03:15:00.000Z'],
    // Berlin spring forward: 02:00 does not exist, shifted to 03:00 CEST
    ['Europe/Berlin', '2026-03-28T23:00:00Z', 2, '2026-03-29T01:00:00.000Z'],
    // Berlin fall back: 02:00 happens twice; from 02:30 CEST the next one is 02:00 CET
    ['Europe/Berlin', '2026-10-25T00:30:00Z', 2, '2026-10-25T01:00:00.000Z'],
    ['Europe/Berlin', '2026-10-24T22:00:00Z', 2, '2026-10-25T00:00:00.000Z'],
    // Apia's skipped day: 10:00 on 2011-12-30 shifts by 24 h onto 10:00 on 2011-12-31
    ['Pacific/Apia', '2011-12-29T21:00:00Z', 10, '2011-12-30T20:00:00.000Z'],
  ] as const)('returns for %s at %s hour %i: %s', (zone, at, hour, expected) => {
    // Prepare
    const instant = utc(at);

    // Act
    const result = nextLocalHourAtOrAfter(instant, zone, hour);

    // Assess
    expect(iso(result)).toBe(expected);
  });

  it('returns the earliest hour:00 at or after t, or its DST-shifted instant', () => {
    fc.assert(
      fc.property(zonedInstant, hourArb, ({ zone, t }, hour) => {
        // Prepare
        const firstMinute = Math.ceil(t / MS_PER_MINUTE) * MS_PER_MINUTE;

        // Act
        const result = nextLocalHourAtOrAfter(t, zone, hour);

        // Assess
        expect(result).toBeGreaterThanOrEqual(t);
        expect(result).toBeLessThan(t + 26 * MS_PER_HOUR);
        const local = intlFields(result, zone);
        if (local.hour !== hour || local.minute !== 0 || local.second !== 0) {
          // hour:00 fell in a gap: the result is fromLocal's shift of a day where hour:00 does not exist
          const days = [localDateOf(result, zone), addDays(localDateOf(result, zone), -1)];
          const gapDay = days.find(
            (d) => intlInstancesOfWall(zone, d.year, d.month, d.day, hour).length === 0,
          );
          expect(gapDay).toBeDefined();
          if (gapDay !== undefined) expect(result).toBe(atLocalHour(zone, gapDay, hour));
        }
        const reading = (at: number) => {
          const { hour: h, minute } = toLocal(at, zone);
          return h === hour && minute === 0;
        };
        expect(firstStep(firstMinute, result, reading)).toBeUndefined();
      }),
      RUNS,
    );
  });

  it('throws a RangeError for an hour outside 0..23', () => {
    // Prepare
    const instant = utc('2026-01-01T00:00:00Z');

    // Act
    const act = () => nextLocalHourAtOrAfter(instant, 'UTC', 24);

    // Assess
    expect(act).toThrow(RangeError);
  });
});
