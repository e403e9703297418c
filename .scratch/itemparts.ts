import { loadDefaultPack } from '../bench/default-pack.ts';
import { encodeCustomer, itemBytes, writeUnits } from '../functions/adapters/dynamodb/customer-codec.ts';
import type { CustomerState } from '../functions/domain/customer-state.ts';
import { runMemorySimulation } from '../local/memory-simulation.ts';

const days = Number(process.argv[2] ?? 730);
const r = await runMemorySimulation({
  customers: 300,
  days,
  seed: 7,
  start: '2024-01-01T00:00:00.000Z',
  pack: loadDefaultPack(),
});
const states = r.states;
const size = (s: CustomerState) => itemBytes(encodeCustomer(s, Date.now()));
const wru = (s: CustomerState) => writeUnits(encodeCustomer(s, Date.now()));
const mean = (f: (s: CustomerState) => number) => states.reduce((n, s) => n + f(s), 0) / states.length;
console.log(
  'customers',
  states.length,
  'mean bytes',
  mean(size).toFixed(0),
  'mean WRU',
  mean(wru).toFixed(3),
);
const keys = Object.keys(states[0] as object);
for (const k of keys) {
  const strip = (s: CustomerState) => {
    const c = structuredClone(s) as Record<string, unknown>;
    const v = c[k];
    c[k] = Array.isArray(v) ? [] : typeof v === 'object' && v !== null ? {} : v;
    return c as unknown as CustomerState;
  };
  console.log(
    k.padEnd(22),
    (mean(size) - mean((s) => size(strip(s)))).toFixed(0).padStart(6),
    'B',
    (mean(wru) - mean((s) => wru(strip(s)))).toFixed(3),
  );
}
// orders older than 180 days without detail
const endMs = r.endMs;
const trim = (s: CustomerState) => {
  const c = structuredClone(s);
  for (const [id, o] of Object.entries(c.orders))
    if (endMs - Date.parse(o.at) > 180 * 86400000) {
      (c.orders as Record<string, unknown>)[id] = 0;
    }
  return c;
};
console.log(
  'orders >180d stripped',
  mean((s) => size(trim(s))).toFixed(0),
  mean((s) => wru(trim(s))).toFixed(3),
);
const ordersCount = mean((s) => Object.keys(s.orders).length);
console.log('orders per customer', ordersCount.toFixed(1));
for (const n of [5, 10, 20]) {
  const t = (s: CustomerState) => {
    const c = structuredClone(s);
    c.ledger = c.ledger.slice(-n);
    return c;
  };
  console.log('ledger tail', n, mean((s) => size(t(s))).toFixed(0), mean((s) => wru(t(s))).toFixed(3));
}
const ledgerLen = mean((s) => s.ledger.length);
console.log(
  'ledger len',
  ledgerLen.toFixed(1),
  'occurrences',
  mean((s) => Object.keys(s.occurrences).length).toFixed(1),
);
