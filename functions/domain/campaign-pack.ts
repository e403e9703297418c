/**
 * Loads a campaign file (YAML or JSON text) into a validated campaign pack.
 *
 * Every problem — YAML syntax, schema, cross-field rules — becomes one `CampaignFileError` that names
 * the file, the line, the campaign (by id) and the field, and lists every problem, not just the first:
 * ops fix a file in one round trip, and CI prints something a marketer can act on.
 */
import type { Node, YAMLError } from 'yaml';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { Campaign } from './campaign.ts';
import { CampaignFile } from './campaign.ts';
import type { IssuePath } from './campaign-rules.ts';
import { checkCampaignFile, runsForBrand } from './campaign-rules.ts';

export interface CampaignFileIssue {
  /** The campaign's id; null for file-level fields or a campaign without a usable id. */
  campaignId: string | null;
  /** The campaign's position in `campaigns`, when the issue is inside one. */
  campaignIndex: number | null;
  /** Dotted path inside the campaign (`trigger.leapDay`, `templates.ru`) or the file (`guardrails.quietHours.end`). */
  field: string;
  message: string;
  /** 1-based position in the file, when known. */
  line: number | null;
  column: number | null;
}

export class CampaignFileError extends Error {
  override readonly name = 'CampaignFileError';
  readonly file: string;
  /** The first issue's campaign, field and line (issues are in file order). */
  readonly campaignId: string | null;
  readonly field: string;
  readonly line: number | null;
  readonly issues: CampaignFileIssue[];

  constructor(file: string, issues: CampaignFileIssue[], options?: { cause?: unknown }) {
    const lines = issues.map((issue) => formatIssue(file, issue));
    super(lines.length > 0 ? lines.join('\n') : `${file}: invalid campaign file`, options);
    this.file = file;
    this.issues = issues;
    this.campaignId = issues[0]?.campaignId ?? null;
    this.field = issues[0]?.field ?? '';
    this.line = issues[0]?.line ?? null;
  }
}

/** `campaigns/default.yaml:12:7: campaign "birthday-bonus": field trigger.leapDay: Invalid option…` */
export function formatIssue(file: string, issue: CampaignFileIssue): string {
  const parts = [issue.line === null ? file : `${file}:${issue.line}:${issue.column ?? 1}`];
  if (issue.campaignId !== null) parts.push(`campaign "${issue.campaignId}"`);
  else if (issue.campaignIndex !== null) parts.push(`campaigns[${issue.campaignIndex}]`);
  if (issue.field) parts.push(`field ${issue.field}`);
  parts.push(issue.message);
  return parts.join(': ');
}

/** A validated campaign file: `campaigns` in file order, plus an index by id. */
export interface CampaignPack extends CampaignFile {
  /** The name the pack was loaded from (for messages and reports). */
  readonly file: string;
  readonly byId: ReadonlyMap<string, Campaign>;
}

/** Campaign files are hand-written configuration; anything bigger is a mistake or an attack. */
export const MAX_CAMPAIGN_FILE_CHARS = 2_000_000;
/**
 * YAML aliases are allowed for small reuse (a shared text), but `count × size` of alias expansions is
 * capped far below what a "billion laughs" file needs.
 */
export const MAX_ALIAS_EXPANSION = 50;

type Locator = (path: IssuePath) => { line: number; column: number } | null;

function fieldOf(path: IssuePath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

function valueAt(root: unknown, path: IssuePath): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

function toIssue(path: IssuePath, message: string, raw: unknown, locate: Locator): CampaignFileIssue {
  const position = locate(path);
  const base = { message, line: position?.line ?? null, column: position?.column ?? null };
  const [head, index, ...rest] = path;
  if (head === 'campaigns' && typeof index === 'number') {
    const id = valueAt(raw, ['campaigns', index, 'id']);
    return {
      ...base,
      campaignId: typeof id === 'string' && id !== '' ? id : null,
      campaignIndex: index,
      field: fieldOf(rest),
    };
  }
  return { ...base, campaignId: null, campaignIndex: null, field: fieldOf(path) };
}

/** Zod issues → (path, sentence), with clearer words for the cases people hit most. */
function fromZod(issue: z.core.$ZodIssue, raw: unknown): { path: IssuePath; message: string }[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...path, key], message: `unknown key "${key}"` }));
    case 'invalid_union': {
      // A discriminated union whose `type` matched no option: say which value and which are allowed.
      if (issue.discriminator === undefined || !('options' in issue) || issue.options === undefined) break;
      const value = valueAt(raw, path);
      const options = issue.options.map((o) => `"${String(o)}"`).join('|');
      const what = path.at(-2) === 'trigger' ? 'trigger type' : (issue.discriminator ?? 'type');
      return [
        {
          path,
          message:
            value === undefined
              ? `missing ${what}: expected one of ${options}`
              : `unknown ${what} ${JSON.stringify(value)}: expected one of ${options}`,
        },
      ];
    }
    case 'invalid_type':
      if (valueAt(raw, path) === undefined) {
        return [{ path, message: `required ${issue.expected} is missing` }];
      }
      break;
    default:
      break;
  }
  return [{ path, message: issue.message }];
}

/** The YAML mistakes people make in campaign texts, and what to do about them. */
const SYNTAX_HINTS: Partial<Record<YAMLError['code'], string>> = {
  BLOCK_AS_IMPLICIT_KEY: ' (quote text that contains ": ")',
  TAB_AS_INDENT: ' (indent with spaces)',
};

/** Parses the YAML; syntax errors, duplicate keys and alias bombs become issues with a line. */
function parseYaml(text: string, file: string): { raw: unknown; locate: Locator } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line: Math.max(line, 1), column: Math.max(col, 1) };
  };
  if (doc.errors.length > 0) {
    throw new CampaignFileError(
      file,
      doc.errors.map((error) => ({
        campaignId: null,
        campaignIndex: null,
        field: '',
        message: `YAML syntax: ${error.message}${SYNTAX_HINTS[error.code] ?? ''}`,
        ...position(error.pos[0]),
      })),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION });
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new CampaignFileError(
      file,
      [
        {
          campaignId: null,
          campaignIndex: null,
          field: '',
          message: `YAML: ${message}`,
          line: null,
          column: null,
        },
      ],
      { cause },
    );
  }
  // Point at the key of a mapping entry (its line reads "leapDay: feb29") or at a sequence item.
  const locate: Locator = (path) => {
    let node: unknown = doc.contents;
    let offset = (doc.contents as Node | null)?.range?.[0];
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) break;
        offset = (pair.key as Node).range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment] as Node | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else break;
    }
    return offset === undefined ? null : position(offset);
  };
  return { raw, locate };
}

/**
 * Paths of `__proto__` keys anywhere in the parsed file. YAML keeps them as own keys, and zod drops them
 * from records without a word (a `templates: { __proto__: … }` would vanish): they are reported instead.
 */
function protoKeys(root: unknown): IssuePath[] {
  const found: IssuePath[] = [];
  const stack: { node: unknown; path: IssuePath }[] = [{ node: root, path: [] }];
  // YAML aliases share nodes, and an alias inside its own anchor makes a cycle: visit each node once.
  const seen = new Set<unknown>();
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { node, path } = next;
    if (seen.has(node)) continue;
    if (typeof node === 'object' && node !== null) seen.add(node);
    if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) stack.push({ node: item, path: [...path, i] });
    } else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === '__proto__') found.push([...path, key]);
        else stack.push({ node: value, path: [...path, key] });
      }
    }
  }
  return found;
}

function byLine(a: CampaignFileIssue, b: CampaignFileIssue): number {
  return (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER);
}

/**
 * Parses and validates a campaign file (YAML, or JSON, which YAML reads too). `file` names it in
 * errors. Throws `CampaignFileError` listing every problem; the pack it returns passed every rule.
 */
export function parseCampaignPack(text: string, file: string): CampaignPack {
  const fail = (message: string): never => {
    throw new CampaignFileError(file, [
      { campaignId: null, campaignIndex: null, field: '', message, line: null, column: null },
    ]);
  };
  if (text.length > MAX_CAMPAIGN_FILE_CHARS) {
    fail(`the file has ${text.length} characters, more than the ${MAX_CAMPAIGN_FILE_CHARS} allowed`);
  }
  const { raw, locate } = parseYaml(text, file);
  if (raw === null || raw === undefined)
    fail('the file is empty: expected version, program, guardrails, campaigns');
  // Editors put "$schema" into JSON files to find the schema; it isn't configuration.
  let input = raw;
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && '$schema' in raw) {
    const { $schema: _schema, ...rest } = raw as Record<string, unknown>;
    input = rest;
  }

  const forbidden = protoKeys(input).map((path) =>
    toIssue(path, 'key "__proto__" is not allowed: it names no setting', raw, locate),
  );
  const parsed = CampaignFile.safeParse(input);
  if (!parsed.success || forbidden.length > 0) {
    const issues = (parsed.error?.issues ?? [])
      .flatMap((issue) => fromZod(issue, raw))
      // Strict objects report `__proto__` as an unknown key: it is reported once, above.
      .filter(({ path }) => path.at(-1) !== '__proto__')
      .map(({ path, message }) => toIssue(path, message, raw, locate));
    throw new CampaignFileError(file, [...forbidden, ...issues].sort(byLine), { cause: parsed.error });
  }

  const problems = checkCampaignFile(parsed.data);
  if (problems.length > 0) {
    const issues = problems.map(({ path, message }) => toIssue(path, message, raw, locate));
    throw new CampaignFileError(file, issues.sort(byLine));
  }

  const byId = new Map(parsed.data.campaigns.map((c) => [c.id, c] as const));
  return { ...parsed.data, file, byId };
}

/**
 * The campaigns that run for `brand`: enabled, brand-matching, highest priority first (file order
 * among equals, which only silent campaigns can be). Validity dates depend on `now`: the engine checks them.
 */
export function campaignsFor(pack: CampaignPack, brand: string): Campaign[] {
  return pack.campaigns
    .filter((c) => c.enabled && runsForBrand(c, brand))
    .sort((a, b) => b.priority - a.priority);
}
