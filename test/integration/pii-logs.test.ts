/**
 * No contact data in the logs: a small synthetic shop through the embedded runtime (the deployed
 * handlers on DynamoDB Local, with Powertools at DEBUG and event logging requested through the
 * environment), every line the process writes to stdout and stderr captured, and none of them holds an
 * email address, a phone number or a push token of the simulated customers, or anything shaped like an
 * email address or an E.164 phone number, or a field that carries contacts or message content.
 *
 * Powertools reads its level when its module is first evaluated, so the environment is set here before
 * the runtime is imported (dynamically, below); this file runs in its own worker like every test file.
 * Its Logger writes through its own `Console` on `process.stdout` / `process.stderr` (Powertools 2.x
 * has no pluggable destination), so the streams' `write` is wrapped for the run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulationResult } from '../../local/memory-simulation.ts';
import { generateShop } from '../../local/sim/synthetic-shop.ts';
import { DEFAULT_PACK } from '../unit/fixtures.ts';

const OPTIONS = { customers: 20, days: 5, seed: 23, start: '2026-05-01T00:00:00.000Z', pack: DEFAULT_PACK };

const ENV = {
  POWERTOOLS_LOG_LEVEL: 'DEBUG',
  // Asks the logger middleware to log every event it receives: the handlers must refuse.
  POWERTOOLS_LOGGER_LOG_EVENT: 'true',
  POWERTOOLS_DEV: undefined,
  LOG_LEVEL: undefined,
} as const;
const saved = new Map<string, string | undefined>();
for (const [name, value] of Object.entries(ENV)) {
  saved.set(name, process.env[name]);
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;
const E164 = /\+[1-9]\d{6,14}/;
/** Fields that hold contacts or message content wherever they appear. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;
const CONTACT_KEYS = new Set(['contacts', 'email', 'phone', 'pushToken', 'to', 'content', 'firstName']);

let lines: string[] = [];
let result: SimulationResult;
let loggerLevel = '';

/** Every contact of the simulated customers: the shop's events are the only place they come from. */
function contactsOfShop(): Set<string> {
  const shop = generateShop(OPTIONS);
  const out = new Set<string>();
  for (const event of shop.events) {
    const contacts = (event.detail as { contacts?: Record<string, unknown> }).contacts;
    for (const value of Object.values(contacts ?? {})) if (typeof value === 'string') out.add(value);
  }
  return out;
}

/** Keys of a parsed log line whose name says they carry a contact (values that are objects or strings). */
function contactKeysIn(value: unknown, path = ''): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const found: string[] = [];
  for (const [key, inner] of Object.entries(value)) {
    // `channel: "email"` is a channel name and `to` of a dispatch run an instant; a key named `email` or
    // `to` holding any other string, or an object, is an address or content.
    const carries = typeof inner === 'object' || (typeof inner === 'string' && !INSTANT.test(inner));
    if (CONTACT_KEYS.has(key) && carries) found.push(`${path}${key}`);
    found.push(...contactKeysIn(inner, `${path}${key}.`));
  }
  return found;
}

beforeAll(async () => {
  const { runEmbedded } = await import('../../local/embedded/run.ts');
  const { runMemorySimulation } = await import('../../local/memory-simulation.ts');
  const { logger } = await import('../../functions/shared/powertools.ts');
  loggerLevel = logger.getLevelName();
  const chunks: string[] = [];
  const out = process.stdout.write;
  const err = process.stderr.write;
  const capture = (chunk: unknown, ...rest: unknown[]): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    done?.();
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    result = await runMemorySimulation({ ...OPTIONS, runner: runEmbedded });
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  lines = chunks
    .join('')
    .split('\n')
    .filter((l) => l.trim() !== '');
}, 600_000);

afterAll(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('handler logs of a simulated shop (embedded runtime, DEBUG)', () => {
  it('ran the shop and captured the handlers’ log lines', () => {
    expect(loggerLevel).toBe('DEBUG');
    expect(result.events).toBeGreaterThan(0);
    expect(result.outputs.messages).toBeGreaterThan(0);
    const structured = lines.filter((l) => l.startsWith('{'));
    expect(structured.length).toBeGreaterThan(0);
    // Every function logged its batch or run summary.
    for (const message of ['ingest batch', 'relay batch', 'dispatch run'])
      expect(
        structured.some((l) => l.includes(`"${message}"`)),
        message,
      ).toBe(true);
  });

  it('holds no contact of any simulated customer', () => {
    const contacts = contactsOfShop();
    expect(contacts.size).toBeGreaterThan(20);
    const leaks = lines.filter((l) => [...contacts].some((c) => l.includes(c)));
    expect(leaks.slice(0, 3)).toEqual([]);
  });

  it('holds nothing shaped like an email address or an E.164 phone number', () => {
    expect(lines.filter((l) => EMAIL.test(l)).slice(0, 3)).toEqual([]);
    expect(lines.filter((l) => E164.test(l)).slice(0, 3)).toEqual([]);
  });

  it('has no field that carries contacts or message content', () => {
    const found = lines.flatMap((l) => {
      try {
        return contactKeysIn(JSON.parse(l));
      } catch {
        return [];
      }
    });
    expect([...new Set(found)]).toEqual([]);
  });
});
