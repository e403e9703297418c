/**
 * Who the synthetic shop's customers are: countries, zones, cities, names, phones, birthdays.
 *
 * Russian and Kazakh customers get Cyrillic names and the `ru` locale; the others get Latin names and
 * `en` (the templates ship in English and Russian only).
 */

import { type Rng, Weighted } from './random.ts';
import type { Currency } from './shop-catalog.ts';

export interface ZoneSpec {
  zone: string;
  cities: readonly string[];
  weight: number;
}

export interface CountrySpec {
  country: string;
  currency: Currency;
  locale: string;
  weight: number;
  zones: readonly ZoneSpec[];
  names: readonly string[];
  /** A random E.164 number in the country. */
  phone: (rng: Rng) => string;
}

/** `count` random digits (count ≤ 9), drawn at once. */
function digits(rng: Rng, count: number): string {
  return String(rng.int(0, 10 ** count - 1)).padStart(count, '0');
}

const RUSSIAN_NAMES = [
  'Александр',
  'Алексей',
  'Анастасия',
  'Анна',
  'Андрей',
  'Дарья',
  'Дмитрий',
  'Екатерина',
  'Елена',
  'Иван',
  'Ирина',
  'Мария',
  'Михаил',
  'Наталья',
  'Никита',
  'Ольга',
  'Павел',
  'Полина',
  'Сергей',
  'Софья',
  'Татьяна',
  'Юлия',
  'Артём',
  'Виктория',
] as const;

const ENGLISH_NAMES = [
  'Oliver',
  'Amelia',
  'George',
  'Olivia',
  'Harry',
  'Isla',
  'Jack',
  'Emily',
  'James',
  'Sophia',
  'William',
  'Charlotte',
  'Noah',
  'Emma',
  'Liam',
  'Ava',
  'Michael',
  'Grace',
  'Daniel',
  'Chloe',
] as const;

const GERMAN_NAMES = [
  'Lukas',
  'Anna',
  'Leon',
  'Marie',
  'Finn',
  'Sophie',
  'Jonas',
  'Lena',
  'Paul',
  'Hannah',
  'Felix',
  'Mia',
] as const;

export const COUNTRIES: readonly CountrySpec[] = [
  {
    country: 'RU',
    currency: 'RUB',
    locale: 'ru',
    weight: 46,
    names: RUSSIAN_NAMES,
    phone: (rng) => `+7999${digits(rng, 7)}`,
    zones: [
      {
        zone: 'Europe/Moscow',
        cities: ['Moscow', 'Saint Petersburg', 'Kazan', 'Nizhny Novgorod'],
        weight: 62,
      },
      { zone: 'Asia/Yekaterinburg', cities: ['Yekaterinburg', 'Chelyabinsk', 'Perm'], weight: 16 },
      { zone: 'Asia/Vladivostok', cities: ['Vladivostok', 'Khabarovsk'], weight: 12 },
      { zone: 'Europe/Kaliningrad', cities: ['Kaliningrad'], weight: 10 },
    ],
  },
  {
    country: 'KZ',
    currency: 'RUB',
    locale: 'ru',
    weight: 8,
    names: RUSSIAN_NAMES,
    phone: (rng) => `+7701${digits(rng, 7)}`,
    zones: [{ zone: 'Asia/Almaty', cities: ['Almaty', 'Astana'], weight: 1 }],
  },
  {
    country: 'DE',
    currency: 'EUR',
    locale: 'en',
    weight: 16,
    names: GERMAN_NAMES,
    phone: (rng) => `+4915${digits(rng, 9)}`,
    zones: [{ zone: 'Europe/Berlin', cities: ['Berlin', 'Munich', 'Hamburg', 'Cologne'], weight: 1 }],
  },
  {
    country: 'GB',
    currency: 'GBP',
    locale: 'en',
    weight: 15,
    names: ENGLISH_NAMES,
    phone: (rng) => `+447${digits(rng, 9)}`,
    zones: [{ zone: 'Europe/London', cities: ['London', 'Manchester', 'Leeds'], weight: 1 }],
  },
  {
    country: 'US',
    currency: 'USD',
    locale: 'en',
    weight: 15,
    names: ENGLISH_NAMES,
    phone: (rng) => `+1${rng.pick(['212', '617', '305', '415', '213', '206'])}555${digits(rng, 4)}`,
    zones: [
      { zone: 'America/New_York', cities: ['New York', 'Boston', 'Miami'], weight: 60 },
      { zone: 'America/Los_Angeles', cities: ['Los Angeles', 'San Francisco', 'Seattle'], weight: 40 },
    ],
  },
];

const COUNTRY_TABLE = new Weighted(COUNTRIES.map((c) => [c, c.weight] as const));

export function pickCountry(rng: Rng): CountrySpec {
  return COUNTRY_TABLE.pick(rng);
}

const ZONE_TABLES = new Map(
  COUNTRIES.map((c) => [c, new Weighted(c.zones.map((z) => [z, z.weight] as const))]),
);

export function pickZone(rng: Rng, country: CountrySpec): ZoneSpec {
  const table = ZONE_TABLES.get(country);
  return table === undefined ? rng.pick(country.zones) : table.pick(rng);
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Days before each month in a non-leap year. */
const MONTH_STARTS = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

/** A month and day drawn uniformly from a non-leap year (Feb 29 is only ever chosen on purpose). */
export function randomMonthDay(rng: Rng): { month: number; day: number } {
  const dayOfYear = rng.int(0, 364);
  let month = 1;
  while ((MONTH_STARTS[month] ?? 365) <= dayOfYear) month++;
  return { month, day: dayOfYear - (MONTH_STARTS[month - 1] ?? 0) + 1 };
}

/** `YYYY-MM-DD`, or `--MM-DD` when the year is unknown. */
export function formatBirthday(year: number | null, month: number, day: number): string {
  return `${year === null ? '-' : String(year)}-${pad2(month)}-${pad2(day)}`;
}

/**
 * A birthday as customers enter it: mostly full dates, some without a year, some missing.
 * `leapDay` forces Feb 29 (with a leap year when a year is given).
 */
export function randomBirthday(rng: Rng, leapDay: boolean): string | null {
  if (leapDay) {
    return rng.chance(0.75) ? formatBirthday(1960 + 4 * rng.int(0, 11), 2, 29) : formatBirthday(null, 2, 29);
  }
  const roll = rng.next();
  if (roll < 0.1) return null;
  const { month, day } = randomMonthDay(rng);
  return formatBirthday(roll < 0.18 ? null : rng.int(1950, 2006), month, day);
}

/** The same month-day but a (plausible) edited value: a farming attempt sets it a few days ahead. */
export function birthdaySoonAfter(wallMs: number, rng: Rng): string {
  const date = new Date(wallMs + rng.int(3, 12) * 86_400_000);
  const month = date.getUTCMonth() + 1;
  const day = date.getUTCDate();
  return formatBirthday(
    rng.int(1960, 2004),
    month === 2 && day === 29 ? 3 : month,
    month === 2 && day === 29 ? 1 : day,
  );
}
