/**
 * How the customer item's compression dictionary (functions/adapters/dynamodb/state-dictionary.ts) was
 * made, and how a new version would be: `npx tsx bench/state-dictionary.ts` prints a candidate's
 * base64 and its effect on held-out simulated customers. A version, once items are written with it, is
 * frozen: a new one gets the next version byte, and readers keep every older one.
 *
 * The sample: a seeded synthetic shop (not the seeds the tests and benchmarks use) lived 400 days with
 * the default pack; the 40 customers of median item size, with names and contact data blanked, their
 * JSON concatenated, the last 32 KB (deflate's window) kept. What a dictionary buys is the first
 * occurrence of every key, campaign id and common value in an item of a few KB, which plain deflate
 * must spell out.
 */
import { deflateRawSync } from 'node:zlib';
import type { CustomerState } from '../functions/domain/customer-state.ts';
import { runMemorySimulation } from '../local/memory-simulation.ts';
import { loadDefaultPack } from './core-bench.ts';

const WINDOW = 32 * 1024;

function blank(s: CustomerState): CustomerState {
  return {
    ...s,
    customerId: 'c000000',
    profile: { ...s.profile, firstName: null },
    contacts: { email: null, phone: null, pushToken: null },
  };
}

export async function buildDictionary(): Promise<Buffer> {
  const pack = loadDefaultPack();
  const { states } = await runMemorySimulation({
    customers: 200,
    days: 400,
    seed: 2024,
    start: '2025-01-01T00:00:00.000Z',
    pack,
  });
  const json = states
    .map((s) => JSON.stringify(blank(s)))
    .sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  const middle = Math.floor(json.length / 2);
  const text = json.slice(middle - 20, middle + 20).join('');
  return Buffer.from(text, 'utf8').subarray(-WINDOW);
}

async function main(): Promise<void> {
  const dictionary = await buildDictionary();
  const pack = loadDefaultPack();
  const { states } = await runMemorySimulation({
    customers: 300,
    days: 365,
    seed: 9,
    start: '2026-01-01T00:00:00.000Z',
    pack,
  });
  let plain = 0;
  let withDictionary = 0;
  for (const s of states) {
    const bytes = Buffer.from(JSON.stringify(s), 'utf8');
    plain += deflateRawSync(bytes).length;
    withDictionary += deflateRawSync(bytes, { level: 9, dictionary }).length;
  }
  process.stderr.write(
    `held-out customers: ${states.length}; mean state ${Math.round(plain / states.length)} B deflated, ` +
      `${Math.round(withDictionary / states.length)} B with the dictionary (${dictionary.length} B)\n`,
  );
  process.stdout.write(`${deflateRawSync(dictionary, { level: 9 }).toString('base64')}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
