/**
 * The fingerprint a customer item keeps of each event it applied, to tell a redelivered event from a
 * new one: FNV-1a 64 of the id's UTF-8 bytes, 16 hex characters.
 *
 * Deployed, every event id is the UUID EventBridge gives it (36 characters, incompressible); an item
 * keeping its last 64 ids verbatim carried over 1 KB of them, a write unit on every write. Sixteen hex
 * characters hold a recent event in half the bytes, whatever the id's length (up to 128 characters),
 * and an item keeps the last `LIMITS.recentEventIds` (16). Two distinct ids share a fingerprint with
 * probability 2^-64: among the 16 an item keeps, a new event is mistaken for a duplicate about once in
 * 10^18 events.
 */

const PRIME_LOW = 0x1b3; // the FNV-1a 64 prime is 2^40 + 0x1b3
const TWO_POW_32 = 4294967296;
const utf8 = new TextEncoder();

export function eventFingerprint(id: string): string {
  // The 64-bit state as two 32-bit halves (offset basis 0xcbf29ce484222325).
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (const byte of utf8.encode(id)) {
    lo = (lo ^ byte) >>> 0;
    // (hi·2^32 + lo) × (2^40 + 0x1b3) mod 2^64: lo × 0x1b3 fits a double exactly (< 2^41).
    const low = lo * PRIME_LOW;
    const carry = Math.floor(low / TWO_POW_32);
    hi = (Math.imul(hi, PRIME_LOW) + carry + (lo << 8)) >>> 0;
    lo = low >>> 0;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
