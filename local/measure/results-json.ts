/**
 * The measurement as `summary.json` carries it (`measurement`), read back for `report` and report.html.
 *
 * Only the counts are trusted: they are validated and every row's figures are recomputed from them
 * (figures.ts), so a hand-edited or older file can never show an interval its counts do not support.
 */
import { z } from 'zod';
import type { MeasureResults, MeasureRow } from './attribution.ts';
import type { Counts } from './figures.ts';
import { figuresOf } from './figures.ts';

const Count = z.number().finite();

const ArmJson = z.object({
  members: Count,
  converted: Count,
  repeat: Count,
  orders: Count,
  ordersSquared: Count,
  revenueCents: Count,
  byCustomer: z.object({ customers: Count, nn: Count, xx: Count, xn: Count, yy: Count, yn: Count }),
});

const CountsJson = z.object({
  issued: Count,
  deferred: Count,
  sent: z.object({ email: Count, sms: Count, push: Count }),
  suppressed: z.record(z.string(), Count),
  treated: ArmJson,
  control: ArmJson,
  controlGlobal: Count,
  offers: Count,
  redeemed: Count,
  points: Count,
});

const RowJson = z.object({
  id: z.string(),
  trigger: z.string().nullable(),
  group: z.enum(['personalised', 'generic']).nullable(),
  windowDays: Count.nullable(),
  counts: CountsJson,
});

const ResultsJson = z.object({
  campaigns: z.array(RowJson),
  groups: z.object({ personalised: RowJson, generic: RowJson }),
  total: RowJson,
});

export type ParsedMeasurement =
  | { type: 'Measured'; results: MeasureResults }
  | { type: 'Missing' }
  | { type: 'Invalid'; reason: string };

function row(r: z.infer<typeof RowJson>): MeasureRow {
  // Rebuilt key by key: `suppressed` keeps only own string keys, whatever the file held.
  const counts: Counts = {
    ...r.counts,
    sent: { ...r.counts.sent },
    suppressed: Object.fromEntries(Object.entries(r.counts.suppressed)),
    treated: { ...r.counts.treated, byCustomer: { ...r.counts.treated.byCustomer } },
    control: { ...r.counts.control, byCustomer: { ...r.counts.control.byCustomer } },
  };
  return {
    id: r.id,
    trigger: r.trigger,
    group: r.group,
    windowDays: r.windowDays,
    counts,
    figures: figuresOf(counts),
  };
}

/** The `measurement` value of a parsed summary.json: its results, absent, or why it can't be read. */
export function parseMeasurement(value: unknown): ParsedMeasurement {
  if (value === undefined || value === null) return { type: 'Missing' };
  const parsed = ResultsJson.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue === undefined ? '' : issue.path.join('.');
    return { type: 'Invalid', reason: `measurement.${path}: ${issue?.message ?? 'invalid'}` };
  }
  const r = parsed.data;
  return {
    type: 'Measured',
    results: {
      campaigns: r.campaigns.map(row),
      groups: { personalised: row(r.groups.personalised), generic: row(r.groups.generic) },
      total: row(r.total),
    },
  };
}
