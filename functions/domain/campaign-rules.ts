/**
 * Cross-field rules of a campaign file: what one zod schema per field can't say (unique ids, distinct
 * priorities, tiers that exist, template variables the engine provides…).
 *
 * Each rule returns problems as a path into the file plus a sentence; `campaign-pack.ts` turns the path
 * into `campaign "<id>"`, the field and the line.
 */
import { bindingQuietHours, isAllowedHour } from './best-hour.ts';
import type { Campaign, CampaignFile } from './campaign.ts';
import { eventNameProblem, isReservedName } from './events.ts';
import {
  isTemplateVariable,
  TEMPLATE_VARIABLES,
  templateSyntaxErrors,
  templateVariables,
} from './template.ts';

export type IssuePath = (string | number)[];
export interface RuleProblem {
  path: IssuePath;
  message: string;
}

/** Locales every campaign that sends messages must have a text for. */
export const REQUIRED_LOCALES = ['en', 'ru'] as const;

/**
 * The brands a campaign runs for (`brands` narrowed by `segment.brands`); null means every brand.
 * Both lists exist in the schema, so a campaign runs only for a brand in both.
 */
export function campaignBrands(campaign: Campaign): string[] | null {
  const own = campaign.brands ?? null;
  const segment = campaign.segment.brands ?? null;
  if (own === null) return segment;
  if (segment === null) return own;
  return own.filter((b) => segment.includes(b));
}

export function runsForBrand(campaign: Campaign, brand: string): boolean {
  const brands = campaignBrands(campaign);
  return brands === null || brands.includes(brand);
}

/** A brand two campaigns both run for, or null when they never meet. */
function sharedBrand(a: Campaign, b: Campaign): string | null {
  const ba = campaignBrands(a);
  const bb = campaignBrands(b);
  if (ba === null && bb === null) return 'every brand';
  if (ba === null) return bb?.[0] === undefined ? null : `brand "${bb[0]}"`;
  if (bb === null) return ba[0] === undefined ? null : `brand "${ba[0]}"`;
  const common = ba.find((x) => bb.includes(x));
  return common === undefined ? null : `brand "${common}"`;
}

const sendsMessages = (c: Campaign): boolean => c.enabled && c.channels.length > 0;

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

/** ` (did you mean "x"?)` for a near miss among `known`, else ''. */
export function didYouMean(name: string, known: readonly string[]): string {
  let best: string | null = null;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best === null ? '' : ` (did you mean "${best}"?)`;
}

function checkProgram(file: CampaignFile, out: RuleProblem[]): void {
  const tiers = file.program.tiers;
  const first = tiers[0];
  if (first && first.minPoints !== 0) {
    out.push({
      path: ['program', 'tiers', 0, 'minPoints'],
      message: `the first tier ("${first.name}") must need 0 points, not ${first.minPoints}: every customer holds a tier`,
    });
  }
  tiers.forEach((tier, i) => {
    const previous = tiers[i - 1];
    if (previous && tier.minPoints <= previous.minPoints) {
      out.push({
        path: ['program', 'tiers', i, 'minPoints'],
        message: `tiers must ascend strictly: "${tier.name}" needs ${tier.minPoints} points, not more than "${previous.name}" (${previous.minPoints})`,
      });
    }
    if (tiers.findIndex((t) => t.name === tier.name) < i) {
      out.push({ path: ['program', 'tiers', i, 'name'], message: `duplicate tier name "${tier.name}"` });
    }
    if (isReservedName(tier.name)) {
      out.push({
        path: ['program', 'tiers', i, 'name'],
        message: `tier name "${tier.name}" is reserved (a property of every object): choose another name`,
      });
    }
  });
}

/** A BCP 47 tag as template keys and customer locales use it: `en`, `ru-RU`. */
const LOCALE_TAG = /^[a-z]{2,3}(-[A-Za-z]{2})?$/i;

function checkGuardrails(file: CampaignFile, out: RuleProblem[]): void {
  const { defaultTimeZone, quietHours } = file.guardrails;
  if (!isValidTimeZone(defaultTimeZone)) {
    out.push({
      path: ['guardrails', 'defaultTimeZone'],
      message: `unknown time zone "${defaultTimeZone}": use an IANA zone like Europe/Moscow`,
    });
  }
  const locale = file.guardrails.defaultLocale;
  if (!LOCALE_TAG.test(locale)) {
    out.push({
      path: ['guardrails', 'defaultLocale'],
      message: `"${locale}" is not a locale: use a language tag like en or ru-RU`,
    });
  }
  if (quietHours.start === quietHours.end && quietHours.channels.length > 0) {
    out.push({
      path: ['guardrails', 'quietHours', 'end'],
      message: `quiet hours start and end at ${quietHours.start}:00, which is ambiguous: set different hours, or channels: [] to turn quiet hours off`,
    });
  }
}

const languageOf = (locale: string): string => locale.split('-')[0]?.toLowerCase() ?? '';

function checkTemplates(campaign: Campaign, path: IssuePath, file: CampaignFile, out: RuleProblem[]): void {
  if (campaign.channels.length > 0) {
    for (const locale of REQUIRED_LOCALES) {
      if (campaign.templates[locale] === undefined) {
        out.push({
          path: [...path, 'templates', locale],
          message: `missing the "${locale}" template: a campaign with channels needs ${REQUIRED_LOCALES.join(' and ')} texts`,
        });
      }
    }
    // Customers without a locale get the default one; without a text in its language, the first text.
    const fallback = file.guardrails.defaultLocale;
    const languages = Object.keys(campaign.templates).map(languageOf);
    if (LOCALE_TAG.test(fallback) && !languages.includes(languageOf(fallback))) {
      out.push({
        path: [...path, 'templates'],
        message: `no "${languageOf(fallback)}" template for guardrails.defaultLocale "${fallback}": customers without a locale would get whichever text comes first`,
      });
    }
  }
  for (const [locale, template] of Object.entries(campaign.templates)) {
    for (const part of ['subject', 'body'] as const) {
      const text = template[part];
      if (text === undefined) continue;
      const at = [...path, 'templates', locale, part];
      for (const error of templateSyntaxErrors(text)) out.push({ path: at, message: error });
      for (const name of templateVariables(text)) {
        if (isTemplateVariable(name)) continue;
        out.push({
          path: at,
          message: `unknown variable {{${name}}}${didYouMean(name, TEMPLATE_VARIABLES)}; the engine provides ${TEMPLATE_VARIABLES.join(', ')}`,
        });
      }
    }
  }
}

function checkTiersUsed(campaign: Campaign, path: IssuePath, tierNames: string[], out: RuleProblem[]): void {
  const unknown = (name: string, at: IssuePath) =>
    out.push({
      path: at,
      message: `unknown tier "${name}"${didYouMean(name, tierNames)}: program tiers are ${tierNames.join(', ')}`,
    });
  campaign.segment.tiers?.forEach((name, i) => {
    if (!tierNames.includes(name)) unknown(name, [...path, 'segment', 'tiers', i]);
  });
  const trigger = campaign.trigger;
  if (trigger.type === 'tier-up' && !tierNames.includes(trigger.tier)) {
    unknown(trigger.tier, [...path, 'trigger', 'tier']);
  }
  if (trigger.type === 'cashback') {
    for (const name of Object.keys(trigger.percentByTier)) {
      if (!tierNames.includes(name)) unknown(name, [...path, 'trigger', 'percentByTier', name]);
    }
  }
}

/** Brands, actions and categories an event can never carry: the campaign could never fire for them. */
function checkEventNames(campaign: Campaign, path: IssuePath, out: RuleProblem[]): void {
  const check = (kind: 'brand' | 'name', what: string, value: string, at: IssuePath) => {
    const problem = eventNameProblem(kind, value);
    if (problem !== null) {
      out.push({
        path: at,
        message: `${what} ${JSON.stringify(value)} ${problem}: no event can carry it, so the campaign would never fire`,
      });
    }
  };
  campaign.brands?.forEach((b, i) => {
    check('brand', 'brand', b, [...path, 'brands', i]);
  });
  campaign.segment.brands?.forEach((b, i) => {
    check('brand', 'brand', b, [...path, 'segment', 'brands', i]);
  });
  const trigger = campaign.trigger;
  if (trigger.type === 'action') check('name', 'action', trigger.action, [...path, 'trigger', 'action']);
  if (trigger.type === 'cross-sell') {
    trigger.rules.forEach((rule, i) => {
      const at = [...path, 'trigger', 'rules', i];
      check('name', 'category', rule.whenCategory, [...at, 'whenCategory']);
      check('name', 'category', rule.offerCategory, [...at, 'offerCategory']);
    });
  }
}

/** A best hour that could never be learned: every hour `from..to` allows is a quiet one. */
function checkBestHour(campaign: Campaign, path: IssuePath, file: CampaignFile, out: RuleProblem[]): void {
  const options = campaign.bestHour;
  if (options === undefined) return;
  const quiet = bindingQuietHours(campaign, file.guardrails.quietHours);
  for (let hour = 0; hour < 24; hour++) if (isAllowedHour(hour, options, quiet)) return;
  out.push({
    path: [...path, 'bestHour'],
    message: `every hour bestHour allows (${options.from}..${options.to}) is inside the quiet hours (${quiet?.start}:00-${quiet?.end}:00) of the campaign's channels: the learned hour would never be used`,
  });
}

/** Rules that concern one campaign alone. */
function checkCampaign(campaign: Campaign, path: IssuePath, file: CampaignFile, out: RuleProblem[]): void {
  const { segment, reward, trigger } = campaign;
  checkTemplates(campaign, path, file, out);
  checkEventNames(campaign, path, out);
  checkBestHour(campaign, path, file, out);
  checkTiersUsed(
    campaign,
    path,
    file.program.tiers.map((t) => t.name),
    out,
  );
  campaign.channels.forEach((channel, i) => {
    if (campaign.channels.indexOf(channel) < i) {
      out.push({ path: [...path, 'channels', i], message: `channel "${channel}" is listed twice` });
    }
  });
  if (campaign.brands && segment.brands && campaignBrands(campaign)?.length === 0) {
    out.push({
      path: [...path, 'segment', 'brands'],
      message: 'no brand is in both brands and segment.brands: the campaign would never run',
    });
  }
  if (
    campaign.validFrom &&
    campaign.validUntil &&
    Date.parse(campaign.validUntil) <= Date.parse(campaign.validFrom)
  ) {
    out.push({
      path: [...path, 'validUntil'],
      message: `validUntil (${campaign.validUntil}) must be after validFrom (${campaign.validFrom})`,
    });
  }
  if (
    segment.minOrders !== undefined &&
    segment.maxOrders !== undefined &&
    segment.minOrders > segment.maxOrders
  ) {
    out.push({
      path: [...path, 'segment', 'maxOrders'],
      message: `maxOrders (${segment.maxOrders}) is below minOrders (${segment.minOrders}): no customer matches`,
    });
  }
  if (
    segment.minSpend !== undefined &&
    segment.maxSpend !== undefined &&
    segment.minSpend > segment.maxSpend
  ) {
    out.push({
      path: [...path, 'segment', 'maxSpend'],
      message: `maxSpend (${segment.maxSpend}) is below minSpend (${segment.minSpend}): no customer matches`,
    });
  }
  switch (trigger.type) {
    case 'dormancy':
      if (reward.points === undefined && reward.offer === undefined) {
        out.push({
          path: [...path, 'reward'],
          message: 'a dormancy campaign needs reward.points (credited on the next order) or reward.offer',
        });
      }
      break;
    case 'personal-offer':
      if (trigger.accrualPercent.min > trigger.accrualPercent.max) {
        out.push({
          path: [...path, 'trigger', 'accrualPercent', 'max'],
          message: `accrualPercent.max (${trigger.accrualPercent.max}) is below min (${trigger.accrualPercent.min})`,
        });
      }
      break;
    case 'milestone':
      if (trigger.metric === 'orders' && !Number.isInteger(trigger.threshold)) {
        out.push({
          path: [...path, 'trigger', 'threshold'],
          message: `an orders milestone needs a whole number, not ${trigger.threshold}`,
        });
      }
      break;
    case 'cross-sell':
      trigger.rules.forEach((rule, i) => {
        if (rule.whenCategory === rule.offerCategory) {
          out.push({
            path: [...path, 'trigger', 'rules', i, 'offerCategory'],
            message: `cross-sell offers "${rule.offerCategory}" after a purchase in the same category`,
          });
        }
      });
      break;
    default:
      break;
  }
}

/** Rules across campaigns: ids, priorities and action names. */
function checkAcross(file: CampaignFile, out: RuleProblem[]): void {
  const campaigns = file.campaigns;
  const firstIndex = new Map<string, number>();
  campaigns.forEach((campaign, i) => {
    const earlier = firstIndex.get(campaign.id);
    if (earlier === undefined) firstIndex.set(campaign.id, i);
    else {
      out.push({
        path: ['campaigns', i, 'id'],
        message: `duplicate campaign id "${campaign.id}" (also campaigns[${earlier}]): ids key every occurrence and must be unique`,
      });
    }
  });
  campaigns.forEach((campaign, i) => {
    for (let j = 0; j < i; j++) {
      const other = campaigns[j];
      if (!other || other.id === campaign.id) continue;
      if (sendsMessages(campaign) && sendsMessages(other) && campaign.priority === other.priority) {
        const brand = sharedBrand(campaign, other);
        if (brand !== null) {
          out.push({
            path: ['campaigns', i, 'priority'],
            message: `overlapping priorities: campaign "${other.id}" also sends for ${brand} with priority ${campaign.priority}; message campaigns need distinct priorities so the frequency cap picks deterministically`,
          });
        }
      }
      const a = campaign.trigger;
      const b = other.trigger;
      if (
        a.type === 'action' &&
        b.type === 'action' &&
        a.action === b.action &&
        campaign.enabled &&
        other.enabled
      ) {
        const brand = sharedBrand(campaign, other);
        if (brand !== null) {
          out.push({
            path: ['campaigns', i, 'trigger', 'action'],
            message: `action "${a.action}" is already rewarded by campaign "${other.id}" for ${brand}: one campaign per action and brand, so its cap holds`,
          });
        }
      }
    }
  });
}

/** Every cross-field problem of a schema-valid file, in file order. */
export function checkCampaignFile(file: CampaignFile): RuleProblem[] {
  const out: RuleProblem[] = [];
  checkProgram(file, out);
  checkGuardrails(file, out);
  file.campaigns.forEach((campaign, i) => {
    checkCampaign(campaign, ['campaigns', i], file, out);
  });
  checkAcross(file, out);
  return out;
}
