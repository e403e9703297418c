/**
 * The event corpus as a replay file: every malformed line sits between valid events. Each bad line lands
 * in rejected.jsonl with its line number, path and rule; every valid event is replayed; nothing else is
 * lost. Cases whose outcome depends on the validation clock are left out (a replay validates against
 * its own latest event), and so are lines a UTF-8 JSONL file cannot hold (a line break or a lone
 * surrogate inside); a line of invalid UTF-8 bytes stands in for the lone surrogates.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayResult } from '../../local/replay.ts';
import { replayEvents } from '../../local/replay.ts';
import type { EventCase } from '../corpus/events.ts';
import { EVENT_CASES } from '../corpus/events.ts';
import { DEFAULT_PACK } from './fixtures.ts';

const REPLAYABLE = EVENT_CASES.filter((c) => !c.clockDependent && !/[\r\n\p{Cs}]/u.test(c.line));

/** An order whose customerId holds the bytes ED A0 80: a surrogate encoded as if it were a character. */
const INVALID_UTF8 = Buffer.concat([
  Buffer.from(
    '{"id":"bad-utf8","source":"shop","detail-type":"OrderCancelled","time":"2026-03-01T10:00:00Z","detail":{"orderId":"o-1","customerId":"c-',
  ),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from('"}}'),
]);

function registration(n: number): string {
  return JSON.stringify({
    id: `valid-${n}`,
    source: 'shop.crm',
    'detail-type': 'CustomerRegistered',
    time: new Date(Date.parse('2026-03-01T08:00:00Z') + n * 60_000).toISOString(),
    detail: { customerId: `c-valid-${n}`, timeZone: 'Europe/Riga', consents: { email: true } },
  });
}

let dir: string;
let result: ReplayResult;
/** 1-based line of each bad case in the file. */
const lineOf = new Map<string, number>();
let validLines = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bad-input-replay-'));
  // A BOM at the very start of the file marks the encoding, not an event: it is not rejected.
  const lines: (string | Buffer)[] = [`\uFEFF${registration(0)}`];
  validLines = 1;
  const bad = [...REPLAYABLE.map((c) => [c.id, c.line] as const), ['invalid-utf8', INVALID_UTF8] as const];
  for (const [id, line] of bad) {
    lines.push(line);
    lineOf.set(id, lines.length);
    lines.push(registration(validLines));
    validLines++;
  }
  const newline = Buffer.from('\n');
  writeFileSync(
    join(dir, 'events.jsonl'),
    Buffer.concat(lines.flatMap((line) => [Buffer.from(line), newline])),
  );
  result = await replayEvents({ eventsPath: join(dir, 'events.jsonl'), pack: DEFAULT_PACK });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('replay of the event corpus', () => {
  it('leaves out only the cases a replay cannot show', () => {
    expect(REPLAYABLE.length).toBeGreaterThanOrEqual(EVENT_CASES.length - 3);
  });

  it('rejects every bad line with its line number, path and rule', () => {
    const expected = REPLAYABLE.map((c: EventCase) => ({
      line: lineOf.get(c.id),
      path: c.expect.path,
      rule: c.expect.rule,
    }));
    expected.push({ line: lineOf.get('invalid-utf8'), path: '', rule: 'invalid-utf8' });
    expect(result.rejected.map(({ line, path, rule }) => ({ line, path, rule }))).toEqual(expected);
    expect(result.outputs.rejected).toBe(REPLAYABLE.length + 1);
    expect(result.rejected.at(-1)?.reason).toBe('event: is not valid UTF-8');
  });

  it('replays every valid event around them', () => {
    expect(result.lines).toBe(validLines + REPLAYABLE.length + 1);
    expect(result.valid).toBe(validLines);
    expect(result.events).toBe(validLines);
    expect(result.customers).toBe(validLines);
    const ids = new Set(result.states.map((s) => s.customerId));
    for (let n = 0; n < validLines; n++) expect(ids.has(`c-valid-${n}`), `c-valid-${n}`).toBe(true);
  });

  it('keeps the contents of bad lines out of rejected.jsonl', () => {
    const text = JSON.stringify(result.rejected);
    expect(text).not.toContain('x'.repeat(100));
    expect(text).not.toContain('polluted');
    expect(Reflect.get({}, 'polluted')).toBeUndefined();
  });
});
