/**
 * The bad-input corpus (test/corpus), case by case: each shop event is rejected by `parseEventLine` with
 * its path, rule and reason; each campaign file by `parseCampaignPack` with its file:line, campaign and
 * field; each command line by the CLI with its exit code and message. The batch behaviour (the rest of a
 * batch goes on) is in test/handlers/bad-input-batches.test.ts and test/unit/bad-input-replay.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CampaignFileError, parseCampaignPack } from '../../functions/domain/campaign-pack.ts';
import { parseEventLine } from '../../functions/domain/events.ts';
import { main } from '../../local/cli.ts';
import { CAMPAIGN_FILE_CASES } from '../corpus/campaign-files.ts';
import { CLI_CASES } from '../corpus/cli-args.ts';
import { EVENT_CASES, NOW } from '../corpus/events.ts';
import { CORPUS, MINIMUM } from '../corpus/index.ts';
import { SQS_BODY_CASES } from '../corpus/sqs-bodies.ts';
import { STREAM_CASES, STREAM_TOLERATED } from '../corpus/stream-records.ts';
import type { CorpusKind } from '../corpus/types.ts';

/** What SQS takes in a message attribute: no control characters but tab and newlines, no U+FFFE/FFFF. */
const SQS_SAFE = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;
const INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}]/u;
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('the bad-input corpus', () => {
  it('holds at least 50 cases, and the minimum of each kind', () => {
    const counts = Object.fromEntries(Object.entries(CORPUS).map(([kind, cases]) => [kind, cases.length]));
    for (const kind of Object.keys(CORPUS) as CorpusKind[]) {
      expect(counts[kind], kind).toBeGreaterThanOrEqual(MINIMUM[kind]);
    }
    const total = Object.values(CORPUS).reduce((sum, cases) => sum + cases.length, 0);
    expect(total).toBeGreaterThanOrEqual(MINIMUM.total);
  });

  it('gives every case a unique id and a description', () => {
    const ids = [...Object.values(CORPUS).flat(), ...STREAM_TOLERATED].map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of Object.values(CORPUS).flat()) expect(c.description.length, c.id).toBeGreaterThan(0);
  });

  it('holds distinct inputs', () => {
    const distinct = (inputs: string[]) => expect(new Set(inputs).size).toBe(inputs.length);
    distinct(EVENT_CASES.map((c) => c.line));
    distinct(SQS_BODY_CASES.map((c) => c.body));
    distinct(CAMPAIGN_FILE_CASES.map((c) => c.text));
    distinct(CLI_CASES.map((c) => JSON.stringify(c.argv)));
    distinct(STREAM_CASES.map((c) => JSON.stringify(c.expect) + c.description));
  });
});

describe('malformed shop events', () => {
  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

  it.each(EVENT_CASES.map((c) => [c.id, c] as const))('rejects %s', (_id, c) => {
    // Act
    const result = parseEventLine(c.line, Date.parse(NOW));

    // Assess
    expect(result).toMatchObject({ ok: false, path: c.expect.path, rule: c.expect.rule });
    if (result.ok) return;
    expect(result.reason).toMatch(
      new RegExp(`^${escapeRe(c.expect.path === '' ? 'event' : c.expect.path)}: `),
    );
    if (c.expect.reason !== undefined) expect(result.reason).toContain(c.expect.reason);
    // The reason travels as an SQS message attribute and into logs: short, sendable, nothing hidden.
    expect(result.reason.length).toBeLessThan(300);
    expect(result.reason).toMatch(SQS_SAFE);
    expect(result.reason).not.toMatch(INVISIBLE);
  });

  it('leaves Object.prototype untouched after every case', () => {
    // Act
    for (const c of EVENT_CASES) parseEventLine(c.line, Date.parse(NOW));

    // Assess
    expect(Reflect.get({}, 'polluted')).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
  });

  it('rejects an SQS body that is not a shop event', () => {
    for (const c of SQS_BODY_CASES) {
      expect(parseEventLine(c.body, Date.parse(NOW)), c.id).toMatchObject({ ok: false, ...c.expect.ingest });
    }
  });

  it('finds no duplicate key where JSON.stringify wrote none, whatever the strings hold', () => {
    // Prepare: any JSON under an envelope field EventBridge may add (dropped after validation).
    const base = {
      id: 'corpus-any',
      source: 'shop.corpus',
      'detail-type': 'CustomerRegistered',
      time: '2026-03-01T10:00:00Z',
      detail: { customerId: 'c-1', city: 'a\\"{,}[\\"]:' },
    };
    const extra = fc.jsonValue({ maxDepth: 6 });

    // Act and assess
    fc.assert(
      fc.property(extra, (value) => {
        const line = JSON.stringify({ ...base, 'replay-name': value });
        expect(parseEventLine(line, Date.parse(NOW))).toMatchObject({ ok: true });
      }),
    );
  });

  it('finds a duplicate key at any depth, even outside the fields it validates', () => {
    const line = JSON.stringify({
      id: 'corpus-dup',
      source: 'shop.corpus',
      'detail-type': 'CustomerRegistered',
      time: '2026-03-01T10:00:00Z',
      detail: { customerId: 'c-1' },
      'replay-name': [{ a: 1 }, { b: [{ c: '"}' }] }],
    }).replace('"c":"\\"}"', '"c":"\\"}","\\u0063":0');
    expect(parseEventLine(line, Date.parse(NOW))).toMatchObject({
      ok: false,
      path: 'replay-name[1].b[0].c',
      rule: 'duplicate-key',
    });
  });

  it('still accepts the valid event each malformed one was derived from', () => {
    // Prepare: the base order of the corpus, as the cases write it.
    const order = {
      id: 'corpus-valid',
      source: 'shop.corpus',
      'detail-type': 'OrderPlaced',
      time: '2026-03-01T10:00:00Z',
      detail: {
        orderId: 'o-1',
        customerId: 'c-1',
        currency: 'EUR',
        total: 25.5,
        lines: [{ sku: 'SKU-1', category: 'coffee', quantity: 2, unitPrice: 12.75 }],
      },
    };

    // Act
    const result = parseEventLine(JSON.stringify(order), Date.parse(NOW));

    // Assess
    expect(result.ok).toBe(true);
  });
});

describe('malformed campaign files', () => {
  it.each(CAMPAIGN_FILE_CASES.map((c) => [c.id, c] as const))('rejects %s', (_id, c) => {
    // Act
    let error: unknown;
    try {
      parseCampaignPack(c.text, 'bad.yaml');
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(CampaignFileError);
    if (!(error instanceof CampaignFileError)) return;
    const lines = error.message.split('\n');
    const line = lines.find((l) => c.expect.message.test(l));
    expect(line, error.message).toBeDefined();
    expect(line).toMatch(/^bad\.yaml(:\d+:\d+)?: /);
    if (c.expect.campaign !== null) expect(line).toContain(`: ${c.expect.campaign}: `);
    else expect(line).not.toMatch(/: campaign "|: campaigns\[/);
    if (c.expect.field !== null) expect(line).toContain(`: field ${c.expect.field}: `);
    const issue = error.issues[lines.indexOf(line ?? '')];
    if (c.expect.field !== null) expect(issue?.field).toBe(c.expect.field);
  });

  it('leaves Object.prototype untouched after every case', () => {
    for (const c of CAMPAIGN_FILE_CASES) {
      try {
        parseCampaignPack(c.text, 'bad.yaml');
      } catch {
        // expected
      }
    }
    expect(Reflect.get({}, 'polluted')).toBeUndefined();
  });
});

describe('bad command lines', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bad-input-cli-'));
    const event = {
      id: 'e-1',
      source: 'shop',
      'detail-type': 'CustomerRegistered',
      time: '2026-01-01T00:00:00Z',
      detail: { customerId: 'c-1' },
    };
    writeFileSync(join(dir, 'events.jsonl'), `${JSON.stringify(event)}\n`);
    const unknownTrigger = CAMPAIGN_FILE_CASES.find((c) => c.id === 'cf-unknown-trigger');
    writeFileSync(join(dir, 'bad-campaigns.yaml'), unknownTrigger?.text ?? '');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(CLI_CASES.map((c) => [c.id, c] as const))('refuses %s', async (_id, c) => {
    // Prepare
    const argv = c.argv.map((a) => a.replaceAll('$DIR', dir));
    let stdout = '';
    let stderr = '';

    // Act
    const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });

    // Assess
    expect(code).toBe(c.expect.code);
    expect(stderr).toContain(c.expect.stderr);
    expect(stderr.startsWith('loyalty-triggers: ')).toBe(true);
    if (c.expect.code === 2) expect(stderr).toContain('Usage:');
    expect(stdout).toBe('');
  });
});
