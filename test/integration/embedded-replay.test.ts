/**
 * `replay` with a window on the embedded stack, against the in-memory runtime: the history before
 * `--from` runs through the deployed handlers and records nothing; the window's outputs, summary and
 * campaign stats are the in-memory runtime's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../functions/domain/customer-state.ts';
import { ledgerEntryKey } from '../../functions/domain/customer-state.ts';
import { runEmbedded } from '../../local/embedded/run.ts';
import type { ReplayResult } from '../../local/replay.ts';
import { replayEvents } from '../../local/replay.ts';
import { generateShop } from '../../local/sim/synthetic-shop.ts';
import { DEFAULT_PACK } from '../unit/fixtures.ts';

const START = '2026-02-01T00:00:00.000Z';
const FROM_MS = Date.parse('2026-02-08T00:00:00.000Z');

let dir: string;
let embedded: ReplayResult;
let memory: ReplayResult;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'embedded-replay-'));
  const { events } = generateShop({ customers: 20, days: 12, seed: 5, start: START });
  const path = join(dir, 'events.jsonl');
  writeFileSync(path, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
  const options = { eventsPath: path, pack: DEFAULT_PACK, fromMs: FROM_MS, nowMs: Date.parse('2026-06-01') };
  embedded = await replayEvents({ ...options, runner: runEmbedded });
  memory = await replayEvents(options);
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('replay with history on the embedded stack', () => {
  it('applies the history and records the window as the in-memory runtime does', () => {
    expect(embedded.history).toBeGreaterThan(0);
    expect(embedded.history).toBe(memory.history);
    expect(embedded.events).toBe(memory.events);
    const content = (r: ReplayResult) =>
      r.messages.map((m) => JSON.stringify({ ...m, createdAt: '' })).sort();
    expect(embedded.messages.length).toBeGreaterThan(0);
    expect(content(embedded)).toEqual(content(memory));
    const keys = (entries: LedgerEntry[]) => entries.map(ledgerEntryKey).sort();
    expect(keys(embedded.bonuses)).toEqual(keys(memory.bonuses));
    expect(embedded.summary.totals()).toEqual(memory.summary.totals());
    expect(embedded.campaignStats).toEqual(memory.campaignStats);
  });

  it('records nothing before --from: ledger entries, sends and stats all in the window', () => {
    expect(embedded.bonuses.length).toBeGreaterThan(0);
    expect(embedded.bonuses.filter((b) => Date.parse(b.at) < FROM_MS)).toEqual([]);
    expect(embedded.messages.filter((m) => Date.parse(m.sendAt) < FROM_MS - 15 * 60_000)).toEqual([]);
    // --from is a UTC midnight here: the stats λ's items of the window's days count exactly the
    // occurrences the summary recorded (the history's days, which it wrote too, are left out).
    const fired = (embedded.campaignStats ?? []).reduce((n, s) => n + s.counters.fired, 0);
    expect(fired).toBeGreaterThan(0);
    expect(fired).toBe(embedded.summary.totals().fired);
  });
});
