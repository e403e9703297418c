import { measureRun } from '../bench/units-bench.ts';

const run = await measureRun({});
const log = (globalThis as unknown as { __dueLog?: { pk: string; b: number; t: number }[] }).__dueLog ?? [];
let flushes = 0,
  packs = 0;
let i = 0;
const sizes: number[] = [];
while (i < log.length) {
  const t0 = log[i]!.t;
  const group: typeof log = [];
  while (i < log.length && log[i]!.t - t0 < 2) {
    group.push(log[i]!);
    i++;
  }
  flushes++;
  const byB = new Map<number, number>();
  for (const e of group) byB.set(e.b, (byB.get(e.b) ?? 0) + 1);
  packs += byB.size;
  for (const v of byB.values()) sizes.push(v);
}
console.log({
  entries: log.length,
  flushes,
  packs,
  hist: Object.entries(
    sizes.reduce((h: Record<number, number>, s) => {
      h[s] = (h[s] ?? 0) + 1;
      return h;
    }, {}),
  ),
});
console.log(Object.keys(run));
