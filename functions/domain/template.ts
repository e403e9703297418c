/**
 * Message templates: `{{name}}` placeholders, an optional literal fallback (`{{firstName|friend}}`),
 * and locale selection.
 *
 * Channels are plain text (email text part, SMS, push), so nothing is HTML-escaped; substituted values
 * are stripped of control and bidi-override characters instead, so a customer-supplied name can't break
 * a line, forge an SMS header or reorder the text around it.
 */
import type { Template } from './campaign.ts';

/** The variables the engine fills in; a template may use no others (checked when the pack loads). */
export const TEMPLATE_VARIABLES = [
  'firstName',
  'points',
  'balance',
  'tier',
  'offerCode',
  'offerExpires',
  'discountPercent',
  'minBasket',
  'accrualPercent',
  'category',
  'sku',
  'predictedAt',
  'expiringPoints',
  'expiresOn',
  'months',
  'years',
  'orders',
  'spend',
  'threshold',
  'brand',
  'multiplier',
  'cashbackPercent',
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

const KNOWN = new Set<string>(TEMPLATE_VARIABLES);

export function isTemplateVariable(name: string): name is TemplateVariable {
  return KNOWN.has(name);
}

export type TemplateValues = Record<string, string | number | null | undefined>;

/** A compiled template: literal text and placeholders, alternating. */
type Part = string | { name: string; fallback: string };

interface Compiled {
  parts: Part[];
  variables: string[];
  /** Placeholders that don't parse (`{{ first name }}`, an unclosed `{{`): reported at load time. */
  errors: string[];
}

// `{{ name }}` or `{{ name | literal fallback }}`; the fallback can't contain braces.
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|([^{}]*))?\}\}/g;
// C0/C1 controls (newlines and tabs included), DEL, and bidi overrides/isolates.
const UNSAFE = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/gu;

// Campaign texts are few and reused for every message: compile each once. The bound only guards
// against a caller rendering unbounded ad-hoc texts.
const CACHE_LIMIT = 2000;
const cache = new Map<string, Compiled>();

function compile(text: string): Compiled {
  const cached = cache.get(text);
  if (cached) return cached;
  const parts: Part[] = [];
  const variables: string[] = [];
  const errors: string[] = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const literal = text.slice(last, match.index);
    checkLiteral(literal, errors);
    if (literal) parts.push(literal);
    const name = match[1] ?? '';
    parts.push({ name, fallback: (match[2] ?? '').trim() });
    if (!variables.includes(name)) variables.push(name);
    last = match.index + match[0].length;
  }
  const tail = text.slice(last);
  checkLiteral(tail, errors);
  if (tail) parts.push(tail);
  const compiled = { parts, variables, errors };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, compiled);
  return compiled;
}

/** Literal text between placeholders must not contain braces that look like a broken placeholder. */
function checkLiteral(literal: string, errors: string[]): void {
  const open = literal.indexOf('{{');
  if (open >= 0) {
    errors.push(
      `malformed placeholder near "${literal.slice(open, open + 24)}": use {{name}} or {{name|fallback}}`,
    );
  } else if (literal.includes('}}')) {
    errors.push('stray "}}" without a matching "{{"');
  }
}

/** Variable names used in `text`, in order of first use, each once. */
export function templateVariables(text: string): string[] {
  return [...compile(text).variables];
}

/** Syntax problems in `text` (broken placeholders); empty when it renders as written. */
export function templateSyntaxErrors(text: string): string[] {
  return [...compile(text).errors];
}

function clean(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  return value.replace(UNSAFE, '').trim();
}

/**
 * Replaces every `{{name}}` with its value. A missing, null or blank value renders as the placeholder's
 * fallback (`{{firstName|friend}}` → "friend") or, without one, as an empty string.
 */
export function renderTemplate(text: string, variables: TemplateValues): string {
  const { parts } = compile(text);
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const value = Object.hasOwn(variables, part.name) ? clean(variables[part.name]) : '';
    out += value === '' ? part.fallback : value;
  }
  return out;
}

/** Renders a template's subject (when it has one) and body. */
export function renderMessage(template: Template, variables: TemplateValues): Template {
  const body = renderTemplate(template.body, variables);
  return template.subject === undefined
    ? { body }
    : { subject: renderTemplate(template.subject, variables), body };
}

/** `ru_ru` / `RU-ru` → `ru-RU`, the form template keys use. */
function normalizeLocale(locale: string): string {
  const [language = '', region] = locale.trim().replace(/_/g, '-').split('-');
  return region ? `${language.toLowerCase()}-${region.toUpperCase()}` : language.toLowerCase();
}

function languageOf(locale: string): string {
  return locale.split('-')[0] ?? locale;
}

/** The key of `templates` that best serves `wanted`: exact, then its language, then a regional sibling. */
function bestKey(keys: string[], wanted: string): string | undefined {
  if (!wanted) return undefined;
  const normalized = normalizeLocale(wanted);
  const language = languageOf(normalized);
  return (
    keys.find((k) => normalizeLocale(k) === normalized) ??
    keys.find((k) => normalizeLocale(k) === language) ??
    keys.find((k) => languageOf(normalizeLocale(k)) === language)
  );
}

/**
 * Picks the template for a customer's locale: exact (`ru-RU`), then the language (`ru`), then another
 * region of that language, then the fallback locale (same steps), then the first template defined.
 * Throws when `templates` is empty: a campaign that sends messages always has templates.
 */
export function pickLocale(
  templates: Record<string, Template>,
  locale: string | null,
  fallback: string,
): { locale: string; template: Template } {
  const keys = Object.keys(templates);
  const key = (locale ? bestKey(keys, locale) : undefined) ?? bestKey(keys, fallback) ?? keys[0];
  const template = key === undefined ? undefined : templates[key];
  if (key === undefined || template === undefined) throw new Error('pickLocale: no templates defined');
  return { locale: key, template };
}
