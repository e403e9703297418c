import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Trigger } from '../../functions/domain/campaign.ts';
import type { CampaignPack } from '../../functions/domain/campaign-pack.ts';
import { CampaignFileError, campaignsFor, parseCampaignPack } from '../../functions/domain/campaign-pack.ts';
import { pickLocale, renderTemplate } from '../../functions/domain/template.ts';
import { staleSchemas } from '../../local/write-schemas.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DEFAULT_FILE = 'campaigns/default.yaml';
const defaultText = readFileSync(join(ROOT, DEFAULT_FILE), 'utf8');
const TRIGGER_TYPES = Trigger.options.map((option) => option.shape.type.value);

/** Values like the ones the engine fills in, long-ish, to check message lengths. */
const SAMPLE = {
  firstName: 'Александра',
  points: 1000,
  balance: 12345,
  tier: 'Platinum',
  offerCode: 'COMEBACK-7Q2XK',
  offerExpires: '2025-03-08',
  discountPercent: 15,
  minBasket: 1500,
  accrualPercent: 20,
  category: 'coffee-filters',
  sku: 'SKU-48213',
  predictedAt: '2025-03-08',
  expiringPoints: 1200,
  expiresOn: '2025-03-08',
  months: 6,
  years: 2,
  orders: 5,
  spend: 50000,
  threshold: 50000,
  brand: 'default',
  multiplier: 1.2,
  cashbackPercent: 5,
};

function errorOf(fn: () => unknown): CampaignFileError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CampaignFileError) return error;
    throw error;
  }
  throw new Error('expected a CampaignFileError');
}

describe('the default pack', () => {
  const pack: CampaignPack = parseCampaignPack(defaultText, DEFAULT_FILE);

  it('loads and points editors at the JSON Schema on its first line', () => {
    expect(pack.campaigns.length).toBeGreaterThanOrEqual(TRIGGER_TYPES.length);
    expect(defaultText.split('\n')[0]).toBe('# yaml-language-server: $schema=./campaign-file.schema.json');
    expect(pack.file).toBe(DEFAULT_FILE);
    expect(pack.byId.get('birthday-bonus')?.trigger.type).toBe('birthday');
  });

  it('has a campaign of every trigger type', () => {
    const used = new Set(pack.campaigns.map((c) => c.trigger.type));
    expect([...TRIGGER_TYPES].filter((type) => !used.has(type))).toEqual([]);
  });

  it('has en and ru texts for every campaign with channels', () => {
    for (const campaign of pack.campaigns.filter((c) => c.channels.length > 0)) {
      expect(Object.keys(campaign.templates), campaign.id).toEqual(expect.arrayContaining(['en', 'ru']));
    }
  });

  it('keeps push and SMS texts under 120 characters once rendered', () => {
    for (const campaign of pack.campaigns.filter((c) => c.channels.some((ch) => ch !== 'email'))) {
      for (const [locale, template] of Object.entries(campaign.templates)) {
        const body = renderTemplate(template.body, SAMPLE);
        expect(body.length, `${campaign.id} ${locale}: ${body}`).toBeLessThan(120);
        expect(body, `${campaign.id} ${locale}`).not.toMatch(/\{\{|\}\}/);
      }
    }
  });

  it('gives every email campaign a subject', () => {
    for (const campaign of pack.campaigns.filter((c) => c.channels.includes('email'))) {
      for (const [locale, template] of Object.entries(campaign.templates)) {
        expect(template.subject, `${campaign.id} ${locale}`).toBeTruthy();
      }
    }
  });

  it('configures the campaigns the product promises', () => {
    const byType = (type: string) => pack.campaigns.filter((c) => c.trigger.type === type);
    expect(byType('birthday')[0]?.trigger).toMatchObject({ leapDay: 'feb28', daysAfter: 3 });
    expect(byType('anniversary').map((c) => c.trigger)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ everyMonths: 6 }),
        expect.objectContaining({ everyMonths: 12 }),
      ]),
    );
    expect(byType('milestone').map((c) => c.trigger)).toEqual(
      expect.arrayContaining([
        { type: 'milestone', metric: 'orders', threshold: 1 },
        { type: 'milestone', metric: 'orders', threshold: 5 },
        { type: 'milestone', metric: 'spend', threshold: 50000 },
        { type: 'milestone', metric: 'points', threshold: 5000 },
      ]),
    );
    expect(byType('tier-up').map((c) => c.trigger)).toEqual(
      expect.arrayContaining([
        { type: 'tier-up', tier: 'Gold' },
        { type: 'tier-up', tier: 'Platinum' },
      ]),
    );
    const winBack = pack.byId.get('win-back-90-days');
    expect(winBack?.trigger).toMatchObject({ type: 'dormancy', days: 90 });
    expect(winBack?.reward).toMatchObject({ points: 300, offer: { validityDays: 7 } });
    expect(byType('replenishment')[0]?.trigger).toMatchObject({ leadDays: 5 });
    expect(byType('points-expiring')[0]?.trigger).toMatchObject({ withinDays: 30 });
    expect(byType('action').map((c) => c.trigger.type === 'action' && c.trigger.action)).toEqual(
      expect.arrayContaining(['review', 'referral', 'survey']),
    );
    const favourite = byType('favourite-category')[0];
    expect(favourite?.trigger).toMatchObject({ multiplier: 1.2 });
    expect(favourite?.channels).toEqual([]);
    const cashback = byType('cashback')[0];
    expect(cashback?.trigger).toMatchObject({ percentByTier: { Silver: 1, Gold: 3, Platinum: 5 } });
    expect(cashback?.channels).toEqual([]);
    const crossSell = byType('cross-sell')[0]?.trigger;
    expect(crossSell?.type === 'cross-sell' && crossSell.rules).toEqual(
      expect.arrayContaining([
        { whenCategory: 'trousers', offerCategory: 'sweatshirts' },
        { whenCategory: 'coffee', offerCategory: 'coffee-filters' },
        { whenCategory: 'shampoo', offerCategory: 'conditioner' },
        { whenCategory: 'phones', offerCategory: 'phone-cases' },
        { whenCategory: 'dresses', offerCategory: 'shoes' },
        { whenCategory: 'baby-food', offerCategory: 'diapers' },
      ]),
    );
    expect(byType('personal-offer')[0]?.trigger).toMatchObject({ perCustomer: 5, everyDays: 7 });
    expect(pack.campaigns.some((c) => c.segment.cities?.includes('Moscow'))).toBe(true);
    expect(pack.campaigns.some((c) => c.segment.countries !== undefined && !c.segment.cities)).toBe(true);
    expect(pack.campaigns.filter((c) => c.holdoutPercent > 0).length).toBeGreaterThanOrEqual(2);
  });

  it('picks Russian texts for ru-RU customers and English for the rest', () => {
    const birthday = pack.byId.get('birthday-bonus');
    expect(birthday).toBeDefined();
    const templates = birthday?.templates ?? {};
    expect(pickLocale(templates, 'ru-RU', pack.guardrails.defaultLocale).locale).toBe('ru');
    expect(pickLocale(templates, 'de-DE', pack.guardrails.defaultLocale).locale).toBe('en');
  });
});

describe('campaignsFor', () => {
  const yaml = (campaigns: unknown[]) => stringify({ version: 1, campaigns });
  const campaign = (id: string, priority: number, extra: Record<string, unknown> = {}) => ({
    id,
    name: id,
    trigger: { type: 'milestone', metric: 'orders', threshold: priority },
    priority,
    ...extra,
  });

  it('returns enabled campaigns of the brand, highest priority first, file order among equals', () => {
    const pack = parseCampaignPack(
      yaml([
        campaign('low', 10),
        campaign('other-brand', 99, { brands: ['b2'] }),
        campaign('high', 90),
        campaign('off', 95, { enabled: false }),
        campaign('mine', 50, { brands: ['b1', 'b2'] }),
        campaign('silent-a', 10),
      ]),
      'x.yaml',
    );
    expect(campaignsFor(pack, 'b1').map((c) => c.id)).toEqual(['high', 'mine', 'low', 'silent-a']);
    expect(campaignsFor(pack, 'b2').map((c) => c.id)).toEqual([
      'other-brand',
      'high',
      'mine',
      'low',
      'silent-a',
    ]);
    expect(pack.campaigns.map((c) => c.id)).toEqual([
      'low',
      'other-brand',
      'high',
      'off',
      'mine',
      'silent-a',
    ]);
  });

  it('narrows brands by segment.brands', () => {
    const pack = parseCampaignPack(yaml([campaign('c', 1, { segment: { brands: ['b3'] } })]), 'x.yaml');
    expect(campaignsFor(pack, 'b3').map((c) => c.id)).toEqual(['c']);
    expect(campaignsFor(pack, 'b1')).toEqual([]);
  });
});

describe('parseCampaignPack', () => {
  it('reads JSON, ignoring a "$schema" key, and applies defaults', () => {
    const json = JSON.stringify({
      $schema: './campaign-file.schema.json',
      version: 1,
      campaigns: [{ id: 'a', name: 'A', trigger: { type: 'birthday' } }],
    });
    const pack = parseCampaignPack(json, 'campaigns.json');
    expect(pack.guardrails.frequencyCap).toEqual({ count: 2, days: 7 });
    expect(pack.byId.get('a')).toMatchObject({
      enabled: true,
      priority: 50,
      channels: [],
      trigger: { leapDay: 'feb28' },
    });
  });

  it('lists every issue in file order, the first one in the error fields', () => {
    const text = [
      'version: 1',
      'campaigns:',
      '  - id: first',
      '    name: First',
      '    sendHour: 24',
      '    trigger: { type: birthday, leapDay: feb29 }',
      '  - id: second',
      '    name: Second',
      '    trigger: { type: dormancy, days: -1 }',
    ].join('\n');
    const error = errorOf(() => parseCampaignPack(text, 'multi.yaml'));
    expect(error.issues.map((i) => [i.campaignId, i.field, i.line])).toEqual([
      ['first', 'sendHour', 5],
      ['first', 'trigger.leapDay', 6],
      ['second', 'trigger.days', 9],
    ]);
    expect(error.campaignId).toBe('first');
    expect(error.field).toBe('sendHour');
    expect(error.line).toBe(5);
    expect(error.name).toBe('CampaignFileError');
    expect(error.message.split('\n')).toHaveLength(3);
    expect(error.message.split('\n')[0]).toBe(
      'multi.yaml:5:5: campaign "first": field sendHour: Too big: expected number to be <=23',
    );
  });

  it('formats a bad enum value as the brief shows', () => {
    const text = stringify({
      version: 1,
      campaigns: [{ id: 'birthday-bonus', name: 'B', trigger: { type: 'birthday', leapDay: 'feb29' } }],
    });
    expect(errorOf(() => parseCampaignPack(text, DEFAULT_FILE)).message).toMatch(
      /^campaigns\/default\.yaml:\d+:\d+: campaign "birthday-bonus": field trigger\.leapDay: Invalid option: expected one of "feb28"\|"mar1"$/,
    );
  });
});

// ── Bad files: each names the file, the campaign and the field ─────────────────────────────────────

const en = { subject: 'Hi', body: 'Hi {{firstName|friend}}, +{{points}} points' };
const ru = { subject: 'Привет', body: 'Привет! +{{points}} баллов' };
const msg = (id: string, priority: number, extra: Record<string, unknown> = {}) => ({
  id,
  name: `Campaign ${id}`,
  trigger: { type: 'birthday' },
  channels: ['push', 'email'],
  priority,
  templates: { en, ru },
  ...extra,
});
const file = (campaigns: unknown[], top: Record<string, unknown> = {}) =>
  stringify({ version: 1, ...top, campaigns });

interface BadCase {
  name: string;
  text: string;
  /** `campaign "id"`, `campaigns[1]`, or null for file-level issues. */
  campaign: string | null;
  field: string | null;
  message: RegExp;
}

const BAD: BadCase[] = [
  {
    name: 'unknown trigger type',
    text: file([msg('bday', 10, { trigger: { type: 'birthdays' } })]),
    campaign: 'campaign "bday"',
    field: 'trigger.type',
    message: /unknown trigger type "birthdays": expected one of "birthday"\|/,
  },
  {
    name: 'missing trigger type',
    text: file([msg('bday', 10, { trigger: { leapDay: 'feb28' } })]),
    campaign: 'campaign "bday"',
    field: 'trigger.type',
    message: /missing trigger type/,
  },
  {
    name: 'bad time zone',
    text: file([msg('a', 10)], { guardrails: { defaultTimeZone: 'Europe/Moskva' } }),
    campaign: null,
    field: 'guardrails.defaultTimeZone',
    message: /unknown time zone "Europe\/Moskva"/,
  },
  {
    name: 'overlapping priorities',
    text: file([msg('a', 50), msg('b', 50, { brands: ['shop'] })]),
    campaign: 'campaign "b"',
    field: 'priority',
    message: /overlapping priorities: campaign "a" also sends for brand "shop" with priority 50/,
  },
  {
    name: 'missing template locale',
    text: file([msg('a', 10, { templates: { en } })]),
    campaign: 'campaign "a"',
    field: 'templates.ru',
    message: /missing the "ru" template/,
  },
  {
    name: 'unknown template variable',
    text: file([msg('a', 10, { templates: { en: { body: 'Hi {{fistName}}' }, ru } })]),
    campaign: 'campaign "a"',
    field: 'templates.en.body',
    message: /unknown variable \{\{fistName\}\} \(did you mean "firstName"\?\)/,
  },
  {
    name: 'malformed placeholder',
    text: file([msg('a', 10, { templates: { en, ru: { subject: 'Привет {{ first name }}', body: 'x' } } })]),
    campaign: 'campaign "a"',
    field: 'templates.ru.subject',
    message: /malformed placeholder/,
  },
  {
    name: 'negative points',
    text: file([msg('a', 10, { reward: { points: -5 } })]),
    campaign: 'campaign "a"',
    field: 'reward.points',
    message: /Too small: expected number to be >0/,
  },
  {
    name: 'unknown key',
    text: file([msg('a', 10, { sendhour: 10 })]),
    campaign: 'campaign "a"',
    field: 'sendhour',
    message: /unknown key "sendhour"/,
  },
  {
    name: 'bad sendHour 24',
    text: file([msg('a', 10, { sendHour: 24 })]),
    campaign: 'campaign "a"',
    field: 'sendHour',
    message: /expected number to be <=23/,
  },
  {
    name: 'duplicate id',
    text: file([msg('a', 10), msg('a', 20)]),
    campaign: 'campaign "a"',
    field: 'id',
    message: /duplicate campaign id "a" \(also campaigns\[0\]\)/,
  },
  {
    name: 'unknown tier in tier-up',
    text: file([msg('a', 10, { trigger: { type: 'tier-up', tier: 'Diamond' } })]),
    campaign: 'campaign "a"',
    field: 'trigger.tier',
    message: /unknown tier "Diamond": program tiers are Silver, Gold, Platinum/,
  },
  {
    name: 'unknown tier in a segment',
    text: file([msg('a', 10, { segment: { tiers: ['Gold', 'gold'] } })]),
    campaign: 'campaign "a"',
    field: 'segment.tiers[1]',
    message: /unknown tier "gold" \(did you mean "Gold"\?\)/,
  },
  {
    name: 'unknown tier in cashback',
    text: file([
      { id: 'cb', name: 'Cashback', trigger: { type: 'cashback', percentByTier: { Silver: 1, Bronze: 2 } } },
    ]),
    campaign: 'campaign "cb"',
    field: 'trigger.percentByTier.Bronze',
    message: /unknown tier "Bronze"/,
  },
  {
    name: 'validUntil before validFrom',
    text: file([msg('a', 10, { validFrom: '2025-06-01T00:00:00Z', validUntil: '2025-05-01T00:00:00Z' })]),
    campaign: 'campaign "a"',
    field: 'validUntil',
    message: /validUntil \(2025-05-01T00:00:00Z\) must be after validFrom/,
  },
  {
    name: 'dormancy without reward',
    text: file([msg('wb', 10, { trigger: { type: 'dormancy', days: 90 } })]),
    campaign: 'campaign "wb"',
    field: 'reward',
    message: /needs reward\.points .* or reward\.offer/,
  },
  {
    name: 'bad country code',
    text: file([msg('a', 10, { segment: { countries: ['RU', 'de'] } })]),
    campaign: 'campaign "a"',
    field: 'segment.countries[1]',
    message: /ISO 3166 alpha-2/,
  },
  {
    name: 'bad leap-day option',
    text: file([msg('a', 10, { trigger: { type: 'birthday', leapDay: 'feb29' } })]),
    campaign: 'campaign "a"',
    field: 'trigger.leapDay',
    message: /Invalid option: expected one of "feb28"\|"mar1"/,
  },
  {
    name: 'tiers that do not ascend',
    text: file([msg('a', 10)], {
      program: {
        tiers: [
          { name: 'Silver', minPoints: 0 },
          { name: 'Gold', minPoints: 0 },
        ],
      },
    }),
    campaign: null,
    field: 'program.tiers[1].minPoints',
    message: /tiers must ascend strictly/,
  },
  {
    name: 'quiet hours that start and end together',
    text: file([msg('a', 10)], { guardrails: { quietHours: { start: 22, end: 22 } } }),
    campaign: null,
    field: 'guardrails.quietHours.end',
    message: /quiet hours start and end at 22:00/,
  },
  {
    name: 'accrual range upside down',
    text: file([msg('po', 10, { trigger: { type: 'personal-offer', accrualPercent: { min: 20, max: 5 } } })]),
    campaign: 'campaign "po"',
    field: 'trigger.accrualPercent.max',
    message: /accrualPercent\.max \(5\) is below min \(20\)/,
  },
  {
    name: 'one action rewarded twice for a brand',
    text: file([
      msg('review-a', 10, { trigger: { type: 'action', action: 'review' }, brands: ['b1'] }),
      msg('review-b', 20, { trigger: { type: 'action', action: 'review' } }),
    ]),
    campaign: 'campaign "review-b"',
    field: 'trigger.action',
    message: /action "review" is already rewarded by campaign "review-a" for brand "b1"/,
  },
  {
    name: 'a channel listed twice',
    text: file([msg('a', 10, { channels: ['push', 'push'] })]),
    campaign: 'campaign "a"',
    field: 'channels[1]',
    message: /channel "push" is listed twice/,
  },
  {
    name: 'order range upside down',
    text: file([msg('a', 10, { segment: { minOrders: 5, maxOrders: 2 } })]),
    campaign: 'campaign "a"',
    field: 'segment.maxOrders',
    message: /maxOrders \(2\) is below minOrders \(5\)/,
  },
  {
    name: 'a campaign without an id',
    text: file([msg('a', 10), { name: 'No id', trigger: { type: 'birthday' } }]),
    campaign: 'campaigns[1]',
    field: 'id',
    message: /required string is missing/,
  },
  {
    name: 'an invalid id',
    text: file([msg('Birthday Bonus', 10)]),
    campaign: 'campaign "Birthday Bonus"',
    field: 'id',
    message: /lowercase letters, digits and dashes/,
  },
  {
    name: 'unknown top-level key',
    text: file([msg('a', 10)], { campaign: [] }),
    campaign: null,
    field: 'campaign',
    message: /unknown key "campaign"/,
  },
  {
    name: 'wrong version',
    text: stringify({ version: 2, campaigns: [] }),
    campaign: null,
    field: 'version',
    message: /expected 1/,
  },
  {
    name: 'YAML syntax error',
    text: 'version: 1\ncampaigns:\n  - id: a\n    name: A\n    description: Balance: 5 points\n',
    campaign: null,
    field: null,
    message: /^bad\.yaml:5:\d+: YAML syntax: .*quote text that contains ": "/,
  },
  {
    name: 'JSON syntax error',
    text: '{\n  "version": 1,\n  "campaigns": [}\n}',
    campaign: null,
    field: null,
    message: /^bad\.yaml:3:\d+: YAML syntax: /,
  },
  {
    name: 'duplicate YAML key',
    text: 'version: 1\ncampaigns:\n  - id: a\n    name: A\n    id: b\n    trigger: { type: birthday }\n',
    campaign: null,
    field: null,
    message: /^bad\.yaml:5:\d+: YAML syntax: Map keys must be unique/,
  },
  {
    name: 'YAML alias bomb',
    text: [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'version: 1',
      'campaigns: *d',
    ].join('\n'),
    campaign: null,
    field: null,
    message: /^bad\.yaml: YAML: Excessive alias count/,
  },
  {
    name: 'empty file',
    text: '# nothing here\n',
    campaign: null,
    field: null,
    message: /^bad\.yaml: the file is empty/,
  },
];

describe('bad campaign files', () => {
  it('covers at least 15 cases', () => {
    expect(BAD.length).toBeGreaterThanOrEqual(15);
  });

  it.each(BAD)('rejects $name, naming the file, campaign and field', ({ text, campaign, field, message }) => {
    const error = errorOf(() => parseCampaignPack(text, 'bad.yaml'));
    expect(error.file).toBe('bad.yaml');
    const lines = error.message.split('\n');
    const line = lines.find((l) => message.test(l));
    expect(line, error.message).toBeDefined();
    expect(line).toMatch(/^bad\.yaml(:\d+:\d+)?: /);
    if (campaign !== null) expect(line).toContain(`: ${campaign}: `);
    else expect(line).not.toMatch(/campaign "|campaigns\[/);
    if (field !== null) expect(line).toContain(`: field ${field}: `);
    // The structured issue says the same as the line.
    const issue = error.issues[lines.indexOf(line ?? '')];
    if (field !== null) expect(issue?.field).toBe(field);
    if (campaign?.startsWith('campaign "')) expect(`campaign "${issue?.campaignId}"`).toBe(campaign);
  });
});

describe('campaign-file.schema.json', () => {
  it('matches a fresh generation from the zod schema (run npx tsx local/write-schemas.ts)', () => {
    expect(staleSchemas()).toEqual([]);
  });
});
