import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Template } from '../../functions/domain/campaign.ts';
import {
  pickLocale,
  renderMessage,
  renderTemplate,
  TEMPLATE_VARIABLES,
  templateSyntaxErrors,
  templateVariables,
} from '../../functions/domain/template.ts';

describe('templateVariables', () => {
  it.each([
    ['Hello {{firstName}}', ['firstName']],
    ['{{ points }} of {{balance}}', ['points', 'balance']],
    ['{{firstName|friend}} and {{ firstName | friend }}', ['firstName']],
    ['{{offerCode}} {{offerCode}} {{sku}}', ['offerCode', 'sku']],
    ['no placeholders', []],
    ['{{unknownThing}}', ['unknownThing']],
  ])('finds the variables of %j', (text, expected) => {
    expect(templateVariables(text)).toEqual(expected);
  });
});

describe('templateSyntaxErrors', () => {
  it.each([
    ['{{ first name }}', /malformed placeholder/],
    ['Hi {{firstName', /malformed placeholder/],
    ['Hi firstName}}', /stray/],
    ['{{firstName|a{b}}', /malformed placeholder/],
  ])('reports %j', (text, expected) => {
    expect(templateSyntaxErrors(text).join('\n')).toMatch(expected);
  });

  it('accepts well-formed placeholders and single braces', () => {
    expect(templateSyntaxErrors('Hi {{ firstName | friend }}, {points} {{balance}}')).toEqual([]);
  });
});

describe('renderTemplate', () => {
  it.each<[string, Record<string, string | number | null | undefined>, string]>([
    ['Hi {{firstName}}!', { firstName: 'Anna' }, 'Hi Anna!'],
    ['+{{ points }} points', { points: 300 }, '+300 points'],
    ['Hi {{firstName}}!', {}, 'Hi !'],
    ['Hi {{firstName}}!', { firstName: null }, 'Hi !'],
    ['Happy birthday, {{firstName|friend}}!', { firstName: 'Олег' }, 'Happy birthday, Олег!'],
    ['Happy birthday, {{firstName|friend}}!', {}, 'Happy birthday, friend!'],
    ['Happy birthday, {{ firstName | friend }}!', { firstName: '   ' }, 'Happy birthday, friend!'],
    ['С днём рождения, {{firstName|друг}}!', { firstName: undefined }, 'С днём рождения, друг!'],
    ['{{points}}', { points: 0 }, '0'],
    ['{{points}}', { points: Number.NaN }, ''],
    [
      'Code {{offerCode}} until {{offerExpires}}',
      { offerCode: 'COMEBACK-7Q2', offerExpires: '2025-03-08' },
      'Code COMEBACK-7Q2 until 2025-03-08',
    ],
  ])('renders %j with %j', (text, values, expected) => {
    expect(renderTemplate(text, values)).toBe(expected);
  });

  it('never HTML-escapes: channels are plain text', () => {
    expect(renderTemplate('{{firstName}}', { firstName: 'Tom & <Jerry> "J"' })).toBe('Tom & <Jerry> "J"');
  });

  it('strips control and bidi-override characters from values, not from the template', () => {
    const out = renderTemplate('Line 1\nHi {{firstName}}', { firstName: 'Eve\r\nBCC: x\u0007\u202Egnp.exe' });
    expect(out).toBe('Line 1\nHi EveBCC: xgnp.exe');
  });

  it('does not read inherited properties as variables', () => {
    expect(renderTemplate('[{{constructor}}]', {})).toBe('[]');
  });

  it('leaves text without placeholders unchanged', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('{{')),
        (text) => renderTemplate(text, { firstName: 'x' }) === text,
      ),
    );
  });

  it('never lets a control character in through a value', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom(...TEMPLATE_VARIABLES), (value, name) => {
        const out = renderTemplate(`<{{${name}}}>`, { [name]: value });
        return !/\p{Cc}/u.test(out);
      }),
    );
  });

  it('renders subject and body together', () => {
    expect(renderMessage({ subject: 'Hi {{firstName|friend}}', body: '+{{points}}' }, { points: 5 })).toEqual(
      {
        subject: 'Hi friend',
        body: '+5',
      },
    );
    expect(renderMessage({ body: '+{{points}}' }, { points: 5 })).toEqual({ body: '+5' });
  });
});

describe('pickLocale', () => {
  const t = (body: string): Template => ({ body });
  const templates = { en: t('en'), ru: t('ru'), 'de-AT': t('de-AT') };

  it.each<[Record<string, Template>, string | null, string, string]>([
    [{ ...templates, 'ru-RU': t('ru-RU') }, 'ru-RU', 'en', 'ru-RU'],
    [templates, 'ru-RU', 'en', 'ru'],
    [templates, 'ru_ru', 'en', 'ru'],
    [templates, 'RU', 'en', 'ru'],
    [templates, 'de', 'en', 'de-AT'],
    [templates, 'de-DE', 'en', 'de-AT'],
    [templates, 'fr-FR', 'en', 'en'],
    [templates, null, 'ru', 'ru'],
    [templates, 'fr', 'en-GB', 'en'],
    [{ 'ru-RU': t('ru-RU'), kk: t('kk') }, 'fr', 'en', 'ru-RU'],
  ])('picks from %j for %s (fallback %s): %s', (available, locale, fallback, expected) => {
    const picked = pickLocale(available, locale, fallback);
    expect(picked.locale).toBe(expected);
    expect(picked.template.body).toBe(expected);
  });

  it('throws when there is no template at all', () => {
    expect(() => pickLocale({}, 'en', 'en')).toThrow(/no templates/);
  });
});
