/**
 * Malformed campaign files (YAML text) and the issue `parseCampaignPack` must report: a line starting
 * `<file>:<line>:<column>: ` (or `<file>: ` when there is no line), naming the campaign and the field
 * when the problem is inside one. A bad file is refused as a whole: the CLI exits 1 with the issues, a
 * Lambda fails its cold start; nothing runs on half a configuration.
 */
import { stringify } from 'yaml';
import type { CorpusCase } from './types.ts';

export interface CampaignFileCase extends CorpusCase {
  text: string;
  expect: {
    /** `campaign "<id>"`, `campaigns[<i>]`, or null for a file-level issue. */
    campaign: string | null;
    /** The field inside the campaign (or the file); null when the issue has none (syntax). */
    field: string | null;
    /** Matches one line of the error. */
    message: RegExp;
  };
}

const en = { subject: 'Hello', body: 'Hi {{firstName|friend}}, +{{points}} points' };
const ru = { subject: 'Привет', body: 'Привет! +{{points}} баллов' };
const campaign = (id: string, priority: number, extra: Record<string, unknown> = {}) => ({
  id,
  name: `Campaign ${id}`,
  trigger: { type: 'birthday' },
  channels: ['email', 'push'],
  priority,
  templates: { en, ru },
  ...extra,
});
const file = (campaigns: unknown[], top: Record<string, unknown> = {}) =>
  stringify({ version: 1, ...top, campaigns });

export const CAMPAIGN_FILE_CASES: CampaignFileCase[] = [
  {
    id: 'cf-unknown-trigger',
    description: 'a trigger type that does not exist',
    text: file([campaign('welcome', 10, { trigger: { type: 'welcome' } })]),
    expect: {
      campaign: 'campaign "welcome"',
      field: 'trigger.type',
      message: /unknown trigger type "welcome": expected one of "birthday"\|/,
    },
  },
  {
    id: 'cf-bad-time-zone',
    description: 'a default time zone IANA does not have',
    text: file([campaign('a', 10)], { guardrails: { defaultTimeZone: 'Moscow' } }),
    expect: { campaign: null, field: 'guardrails.defaultTimeZone', message: /unknown time zone "Moscow"/ },
  },
  {
    id: 'cf-overlapping-priorities',
    description: 'two message campaigns of one brand with the same priority: the cap order is ambiguous',
    text: file([campaign('birthday-a', 40), campaign('birthday-b', 40, { brands: ['outlet'] })]),
    expect: {
      campaign: 'campaign "birthday-b"',
      field: 'priority',
      message: /overlapping priorities: campaign "birthday-a" also sends for brand "outlet" with priority 40/,
    },
  },
  {
    id: 'cf-missing-template-locale',
    description: 'a message campaign without its Russian text',
    text: file([campaign('a', 10, { templates: { en } })]),
    expect: { campaign: 'campaign "a"', field: 'templates.ru', message: /missing the "ru" template/ },
  },
  {
    id: 'cf-yaml-syntax',
    description: 'an unquoted text containing ": "',
    text: 'version: 1\ncampaigns:\n  - id: a\n    name: Bonus: 100 points\n    trigger: { type: birthday }\n',
    expect: { campaign: null, field: null, message: /^bad\.yaml:4:\d+: YAML syntax: .*quote text/ },
  },
  {
    id: 'cf-negative-points',
    description: 'a reward of -100 points',
    text: file([campaign('a', 10, { reward: { points: -100 } })]),
    expect: { campaign: 'campaign "a"', field: 'reward.points', message: /expected number to be >0/ },
  },
  {
    id: 'cf-unknown-field',
    description: 'a misspelt campaign field',
    text: file([campaign('a', 10, { sendHours: 10 })]),
    expect: { campaign: 'campaign "a"', field: 'sendHours', message: /unknown key "sendHours"/ },
  },
  {
    id: 'cf-best-hour-no-evidence',
    description: 'best hour with a minimum of 0 engagements: a learned hour from no evidence at all',
    text: file([campaign('a', 10, { bestHour: { minEngagements: 0 } })]),
    expect: {
      campaign: 'campaign "a"',
      field: 'bestHour.minEngagements',
      message: /expected number to be >0/,
    },
  },
  {
    id: 'cf-best-hour-only-quiet-hours',
    description: 'a best-hour range (22..7) wholly inside the quiet hours of the push channel',
    text: file([campaign('a', 10, { bestHour: { from: 22, to: 7 } })]),
    expect: {
      campaign: 'campaign "a"',
      field: 'bestHour',
      message: /every hour bestHour allows \(22\.\.7\) is inside the quiet hours \(21:00-9:00\)/,
    },
  },
  {
    id: 'cf-duplicate-id',
    description: 'two campaigns with one id',
    text: file([campaign('birthday', 10), campaign('birthday', 20)]),
    expect: {
      campaign: 'campaign "birthday"',
      field: 'id',
      message: /duplicate campaign id "birthday" \(also campaigns\[0\]\)/,
    },
  },
  {
    id: 'cf-nan-points',
    description: 'YAML .nan as the points',
    text: 'version: 1\ncampaigns:\n  - id: a\n    name: A\n    trigger: { type: birthday }\n    reward: { points: .nan }\n',
    expect: { campaign: 'campaign "a"', field: 'reward.points', message: /received NaN/ },
  },
  {
    id: 'cf-proto-template',
    description: '__proto__ as a template locale (zod would drop it without a word)',
    text: 'version: 1\ncampaigns:\n  - id: a\n    name: A\n    trigger: { type: birthday }\n    templates:\n      __proto__: { body: "polluted" }\n',
    expect: {
      campaign: 'campaign "a"',
      field: 'templates.__proto__',
      message: /^bad\.yaml:7:\d+: .*key "__proto__" is not allowed/,
    },
  },
  {
    id: 'cf-proto-top-level',
    description: '__proto__ at the top of the file',
    text: 'version: 1\n__proto__: { polluted: true }\ncampaigns: []\n',
    expect: { campaign: null, field: '__proto__', message: /key "__proto__" is not allowed/ },
  },
  {
    id: 'cf-default-locale-without-text',
    description: 'a default locale no message campaign has a text for',
    text: file([campaign('a', 10)], { guardrails: { defaultLocale: 'de' } }),
    expect: {
      campaign: 'campaign "a"',
      field: 'templates',
      message: /no "de" template for guardrails\.defaultLocale "de"/,
    },
  },
  {
    id: 'cf-default-locale-garbage',
    description: 'a default locale that is not a language tag',
    text: file([campaign('a', 10)], { guardrails: { defaultLocale: 'English (UK)' } }),
    expect: {
      campaign: null,
      field: 'guardrails.defaultLocale',
      message: /"English \(UK\)" is not a locale/,
    },
  },
  {
    id: 'cf-brand-with-hash',
    description: 'a brand name no event can carry (# separates brand and customer id)',
    text: file([campaign('a', 10, { brands: ['shop#1'] })]),
    expect: {
      campaign: 'campaign "a"',
      field: 'brands[0]',
      message: /brand "shop#1" must not contain #: no event can carry it/,
    },
  },
  {
    id: 'cf-reserved-action',
    description: 'an action named constructor',
    text: file([campaign('a', 10, { trigger: { type: 'action', action: 'constructor' } })]),
    expect: {
      campaign: 'campaign "a"',
      field: 'trigger.action',
      message: /action "constructor" must not be a reserved name/,
    },
  },
  {
    id: 'cf-invisible-category',
    description: 'a cross-sell category with a zero-width space',
    text: file([
      campaign('a', 10, {
        trigger: {
          type: 'cross-sell',
          rules: [{ whenCategory: 'trousers', offerCategory: 'sweat\u200Bshirts' }],
        },
      }),
    ]),
    expect: {
      campaign: 'campaign "a"',
      field: 'trigger.rules[0].offerCategory',
      message: /category .* must not contain invisible characters/,
    },
  },
  {
    id: 'cf-reserved-tier',
    description: 'a tier named toString',
    text: file([campaign('a', 10)], {
      program: {
        tiers: [
          { name: 'Silver', minPoints: 0 },
          { name: 'toString', minPoints: 1000 },
        ],
      },
    }),
    expect: { campaign: null, field: 'program.tiers[1].name', message: /tier name "toString" is reserved/ },
  },
  {
    id: 'cf-multiple-documents',
    description: 'two YAML documents in one file',
    text: 'version: 1\ncampaigns: []\n---\nversion: 1\ncampaigns: []\n',
    expect: { campaign: null, field: null, message: /^bad\.yaml:3:\d+: YAML syntax: .*multiple documents/ },
  },
  {
    id: 'cf-deeply-nested',
    description: 'campaigns nested 5 000 lists deep',
    text: `version: 1\ncampaigns: ${'['.repeat(5000)}${']'.repeat(5000)}\n`,
    expect: { campaign: null, field: null, message: /^bad\.yaml:2:\d+: YAML syntax: / },
  },
  {
    id: 'cf-cyclic-alias',
    description: 'an alias inside its own anchor: campaigns that contain themselves',
    text: 'version: 1\ncampaigns: &all [*all]\n',
    expect: {
      campaign: 'campaigns[0]',
      field: null,
      message: /^bad\.yaml:2:\d+: campaigns\[0\]: Invalid input: expected object, received array/,
    },
  },
  {
    id: 'cf-not-a-mapping',
    description: 'a list at the top of the file',
    text: '- version: 1\n- campaigns: []\n',
    expect: {
      campaign: null,
      field: null,
      message: /^bad\.yaml:1:1: Invalid input: expected object, received array/,
    },
  },
];
