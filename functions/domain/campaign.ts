/**
 * The campaign file: program settings, guardrails and campaigns, validated by one zod schema.
 *
 * Schema and type share a name. The file is YAML or JSON; `campaign-pack.ts` parses it and turns
 * schema failures into errors that name the file, the campaign and the field.
 */
import { z } from 'zod';
import { CHANNELS } from './customer-state.ts';

const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes');
const Hour = z.number().int().min(0).max(23);
const PositiveInt = z.number().int().positive();
const Percent = z.number().min(0).max(100);
const IsoInstant = z.iso.datetime({ offset: true });

export const Channel = z.enum(CHANNELS);

export const RFM_CLASSES = [
  'champions',
  'loyal',
  'potential',
  'new',
  'promising',
  'needs-attention',
  'at-risk',
  'cant-lose',
  'hibernating',
  'lost',
] as const;
export const RfmClass = z.enum(RFM_CLASSES);
export type RfmClass = z.infer<typeof RfmClass>;

export const Tier = z
  .object({
    name: z.string().min(1).max(32),
    /** Points earned in the rolling window needed to hold the tier. */
    minPoints: z.number().int().min(0),
  })
  .strict();
export type Tier = z.infer<typeof Tier>;

export const Program = z
  .object({
    /** Base accrual: points per currency unit of an order. 0 turns base accrual off. */
    pointsPerCurrencyUnit: z.number().min(0).max(1000).default(1),
    /** Days after which earned points expire. */
    pointsExpireDays: PositiveInt.max(3650).default(365),
    /** Tiers by points earned in the rolling window, lowest first; the first must need 0 points. */
    tiers: z
      .array(Tier)
      .min(1)
      .default([
        { name: 'Silver', minPoints: 0 },
        { name: 'Gold', minPoints: 1000 },
        { name: 'Platinum', minPoints: 5000 },
      ]),
    tierWindowMonths: PositiveInt.max(24).default(12),
    /** RFM scoring thresholds (score 1..5): recency in days (ascending), orders and spend (ascending). */
    rfm: z
      .object({
        recencyDays: z.array(PositiveInt).length(4),
        orders: z.array(PositiveInt).length(4),
        spend: z.array(z.number().positive()).length(4),
      })
      .strict()
      .default({ recencyDays: [14, 30, 90, 180], orders: [2, 3, 5, 10], spend: [1000, 5000, 15000, 50000] }),
  })
  .strict();
export type Program = z.infer<typeof Program>;

export const Guardrails = z
  .object({
    /** At most `count` occurrences (with a message) per customer per rolling `days`, all campaigns. */
    frequencyCap: z
      .object({ count: PositiveInt.max(100), days: PositiveInt.max(90) })
      .strict()
      .default({ count: 2, days: 7 }),
    /** Local hours in which the listed channels never deliver: [start, end) wrapping midnight. */
    quietHours: z
      .object({
        start: Hour,
        end: Hour,
        channels: z.array(Channel).default(['sms', 'push']),
      })
      .strict()
      .default({ start: 21, end: 9, channels: ['sms', 'push'] }),
    /** Share of customers in the global control group: they get nothing from any campaign. */
    globalHoldoutPercent: Percent.max(50).default(5),
    /** Zone used when the customer has none. */
    defaultTimeZone: z.string().default('Europe/Moscow'),
    defaultLocale: z.string().default('en'),
    /** Birthday edits accepted per rolling year; further edits are ignored (no bonus farming). */
    birthdayEditsPerYear: z.number().int().min(0).max(12).default(1),
  })
  .strict();
export type Guardrails = z.infer<typeof Guardrails>;

export const Segment = z
  .object({
    brands: z.array(z.string().min(1)).min(1).optional(),
    countries: z
      .array(z.string().regex(/^[A-Z]{2}$/, 'ISO 3166 alpha-2, upper case'))
      .min(1)
      .optional(),
    cities: z.array(z.string().min(1)).min(1).optional(),
    tiers: z.array(z.string().min(1)).min(1).optional(),
    rfm: z.array(RfmClass).min(1).optional(),
    minOrders: z.number().int().min(0).optional(),
    maxOrders: z.number().int().min(0).optional(),
    minSpend: z.number().min(0).optional(),
    maxSpend: z.number().min(0).optional(),
    /** The customer must consent to this channel. */
    consent: Channel.optional(),
  })
  .strict();
export type Segment = z.infer<typeof Segment>;

export const Offer = z
  .object({
    /** Coupon code prefix; the code is prefix + a deterministic suffix per occurrence. */
    codePrefix: z.string().regex(/^[A-Z0-9]{2,12}$/, '2-12 upper-case letters or digits'),
    discountPercent: Percent.optional(),
    /** Days the offer can be used: also the campaign's conversion window. */
    validityDays: PositiveInt.max(365),
    minBasket: z.number().min(0).default(0),
  })
  .strict();
export type Offer = z.infer<typeof Offer>;

export const Reward = z
  .object({
    /** Fixed bonus points. For a dormancy campaign they are credited on the qualifying order. */
    points: PositiveInt.max(1_000_000).optional(),
    offer: Offer.optional(),
    /** Days until the bonus points expire (default: the program's). */
    pointsExpireDays: PositiveInt.max(3650).optional(),
  })
  .strict();
export type Reward = z.infer<typeof Reward>;

export const Template = z
  .object({
    subject: z.string().min(1).max(200).optional(),
    body: z.string().min(1).max(2000),
  })
  .strict();
export type Template = z.infer<typeof Template>;

const BirthdayTrigger = z
  .object({
    type: z.literal('birthday'),
    /** Where Feb 29 birthdays fall in non-leap years. */
    leapDay: z.enum(['feb28', 'mar1']).default('feb28'),
    /** The occurrence may fire from `daysBefore` before to `daysAfter` after the birthday (catch-up). */
    daysBefore: z.number().int().min(0).max(30).default(0),
    daysAfter: z.number().int().min(0).max(30).default(0),
  })
  .strict();
const AnniversaryTrigger = z
  .object({
    type: z.literal('anniversary'),
    /** Fires every N months after registration (12 = yearly); month-end dates clamp (Jan 31 → Feb 28). */
    everyMonths: PositiveInt.max(120),
    /** Fire at most this many times per customer (1 = once, `everyMonths` after registration). */
    maxTimes: PositiveInt.max(100).optional(),
    /** Days after the anniversary day it may still fire (catch-up after an outage). */
    daysAfter: z.number().int().min(0).max(30).default(3),
  })
  .strict();
const MilestoneTrigger = z
  .object({
    type: z.literal('milestone'),
    metric: z.enum(['orders', 'spend', 'points']),
    /** Fires once ever, when the metric first reaches the threshold. */
    threshold: z.number().positive(),
  })
  .strict();
const TierUpTrigger = z
  .object({
    type: z.literal('tier-up'),
    /** Fires once ever when the customer first reaches this tier (or a higher one). */
    tier: z.string().min(1),
  })
  .strict();
const DormancyTrigger = z
  .object({
    type: z.literal('dormancy'),
    /** Days without an order that start a dormancy episode. */
    days: PositiveInt.max(3650),
    /** Only customers with at least this many orders are considered dormant. */
    minOrders: PositiveInt.default(1),
  })
  .strict();
const ReplenishmentTrigger = z
  .object({
    type: z.literal('replenishment'),
    /** Nudge this many days before the predicted next purchase. */
    leadDays: z.number().int().min(0).max(60),
    /** Days after the nudge day it may still fire. */
    daysAfter: z.number().int().min(0).max(30).default(3),
    /** Skip products whose predicted interval is shorter than this (daily staples are noise). */
    minIntervalDays: PositiveInt.default(7),
  })
  .strict();
const PointsExpiringTrigger = z
  .object({
    type: z.literal('points-expiring'),
    withinDays: PositiveInt.max(365),
    minPoints: PositiveInt.default(1),
  })
  .strict();
const ActionTrigger = z
  .object({
    type: z.literal('action'),
    action: z.string().min(1).max(64),
    /** At most `maxPerPeriod` rewards for this action per rolling `periodDays`. */
    maxPerPeriod: PositiveInt.default(1),
    periodDays: PositiveInt.max(3650).default(30),
  })
  .strict();
const FavouriteCategoryTrigger = z
  .object({
    type: z.literal('favourite-category'),
    /** Points on lines of the customer's favourite category are multiplied by this. */
    multiplier: z.number().gt(1).max(10),
    /** Orders needed before a favourite category is known. */
    minOrders: PositiveInt.default(2),
  })
  .strict();
const CrossSellTrigger = z
  .object({
    type: z.literal('cross-sell'),
    rules: z
      .array(z.object({ whenCategory: z.string().min(1), offerCategory: z.string().min(1) }).strict())
      .min(1),
    /** Delay after the order before the message (a day after the purchase reads better than a second). */
    delayHours: z.number().int().min(0).max(720).default(24),
    /** Skip when the customer bought the offered category within this many days. */
    skipIfBoughtWithinDays: z.number().int().min(0).default(90),
  })
  .strict();
const CashbackTrigger = z
  .object({
    type: z.literal('cashback'),
    /** Percent of the order total returned as points (1 point = 1 currency unit), by tier. */
    percentByTier: z.record(z.string().min(1), Percent),
  })
  .strict();
const PersonalOfferTrigger = z
  .object({
    type: z.literal('personal-offer'),
    /** Offers per customer per batch. */
    perCustomer: PositiveInt.max(10).default(5),
    /** Accrual percent range: the most loyal get the lower end, those drifting away the higher. */
    accrualPercent: z.object({ min: Percent, max: Percent }).strict().default({ min: 5, max: 20 }),
    /** Minimum basket as a multiple of the customer's average order value. */
    minBasketFactor: z.number().min(0).max(10).default(1.2),
    /** Days between two batches for one customer. */
    everyDays: PositiveInt.max(365).default(7),
  })
  .strict();

export const Trigger = z.discriminatedUnion('type', [
  BirthdayTrigger,
  AnniversaryTrigger,
  MilestoneTrigger,
  TierUpTrigger,
  DormancyTrigger,
  ReplenishmentTrigger,
  PointsExpiringTrigger,
  ActionTrigger,
  FavouriteCategoryTrigger,
  CrossSellTrigger,
  CashbackTrigger,
  PersonalOfferTrigger,
]);
export type Trigger = z.infer<typeof Trigger>;
export type TriggerType = Trigger['type'];

/** Triggers evaluated on a schedule (through the next-due index); the others react to events. */
export const SCHEDULED_TRIGGERS = [
  'birthday',
  'anniversary',
  'dormancy',
  'replenishment',
  'points-expiring',
  'personal-offer',
] as const satisfies readonly TriggerType[];

/**
 * Opt-in "best hour" sending (see best-hour.ts): the customer's learned best local hour replaces
 * `sendHour` once the customer has enough opens and clicks. `bestHour: {}` opts in with the defaults.
 */
export const BestHour = z
  .object({
    minEngagements: PositiveInt.max(10_000)
      .default(5)
      .describe(
        'Opens and clicks at allowed hours the customer needs before the learned hour is used; until then the campaign sends at sendHour.',
      ),
    from: Hour.default(0).describe('Earliest local hour the learned hour may be (inclusive).'),
    to: Hour.default(23).describe(
      'Latest local hour the learned hour may be (inclusive); below `from`, the range wraps midnight.',
    ),
  })
  .strict()
  .describe(
    "Send at the customer's learned best local hour: the allowed hour with the most opens and clicks " +
      '(MessageEngaged), once there are minEngagements of them, else at sendHour. Allowed hours are from..to ' +
      "minus the quiet hours when they apply to one of the campaign's channels, so the learned hour is never " +
      'a quiet one. Scheduled triggers open their windows at it; event-driven ones hold the message to its ' +
      'next occurrence (within a day). The frequency cap still applies.',
  );
export type BestHour = z.infer<typeof BestHour>;

export const Campaign = z
  .object({
    id: Id,
    name: z.string().min(1).max(120),
    description: z.string().max(1000).optional(),
    enabled: z.boolean().default(true),
    /** Brands the campaign runs for; omitted = every brand. */
    brands: z.array(z.string().min(1)).min(1).optional(),
    trigger: Trigger,
    segment: Segment.default({}),
    reward: Reward.default({}),
    /** Channels in fallback order; `delivery: first` sends on the first one allowed. Empty = silent reward. */
    channels: z.array(Channel).default([]),
    delivery: z.enum(['first', 'all']).default('first'),
    /** Templates by locale (BCP 47 language); `en` and `ru` are required when the campaign sends messages. */
    templates: z
      .record(z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'a locale like en or ru-RU'), Template)
      .default({}),
    /** Higher wins when campaigns compete for the frequency cap; unique among message campaigns. */
    priority: z.number().int().min(0).max(1000).default(50),
    validFrom: IsoInstant.optional(),
    validUntil: IsoInstant.optional(),
    /**
     * Local hour for scheduled sends (default 10). An event-driven campaign sends at once unless it sets
     * one: then its message is held to the next occurrence of that local hour (at once during it).
     */
    sendHour: Hour.optional(),
    /** Send at the customer's learned best local hour instead (see {@link BestHour}). */
    bestHour: BestHour.optional(),
    /** How long a message may be deferred by the cap or quiet hours before it is dropped as expired. */
    messageValidityHours: PositiveInt.max(24 * 60).default(72),
    /** Minimum days between two occurrences of this campaign for one customer (re-eligibility). */
    cooldownDays: z.number().int().min(0).max(3650).default(0),
    /** Share of eligible customers held out of this campaign (stable per customer). */
    holdoutPercent: Percent.max(50).default(0),
    /** Whether the campaign's messages count toward, and are limited by, the frequency cap. */
    capped: z.boolean().default(true),
    /** Orders within this many days of a message count as conversions (default: offer validity or 7). */
    conversionWindowDays: PositiveInt.max(365).optional(),
  })
  .strict();
export type Campaign = z.infer<typeof Campaign>;

export const CampaignFile = z
  .object({
    version: z.literal(1),
    program: Program.default(Program.parse({})),
    guardrails: Guardrails.default(Guardrails.parse({})),
    campaigns: z.array(Campaign),
  })
  .strict();
export type CampaignFile = z.infer<typeof CampaignFile>;
