import { describe, expect, it } from 'vitest';
import { eventFingerprint } from '../../functions/domain/event-fingerprint.ts';

describe('eventFingerprint', () => {
  it('is FNV-1a 64 of the UTF-8 bytes (the published test vectors)', () => {
    // Assess
    expect(eventFingerprint('')).toBe('cbf29ce484222325');
    expect(eventFingerprint('a')).toBe('af63dc4c8601ec8c');
    expect(eventFingerprint('foobar')).toBe('85944171f73967e8');
  });

  it('agrees with a 64-bit BigInt reference on UUIDs, non-ASCII and 128-character ids', () => {
    // Prepare
    const reference = (id: string): string => {
      let h = 0xcbf29ce484222325n;
      for (const b of new TextEncoder().encode(id))
        h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
      return h.toString(16).padStart(16, '0');
    };
    const ids = ['6a7e1b0c-1d2e-4f3a-8b9c-0d1e2f3a4b01', 'заказ-№7', '😀', 'y'.repeat(128)];
    for (let i = 0; i < 500; i++) ids.push(`evt-${i}-${(i * 2654435761) % 4294967296}`);

    // Act & assess
    for (const id of ids) expect(eventFingerprint(id)).toBe(reference(id));
  });

  it('gives 16 hex characters whatever the id, distinct for distinct ids here', () => {
    // Prepare
    const ids = Array.from({ length: 10_000 }, (_, i) => `order-${i}`);

    // Act
    const prints = ids.map(eventFingerprint);

    // Assess
    for (const p of prints) expect(p).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(prints).size).toBe(ids.length);
  });
});
