import { measureRun, unitsFigures } from '../bench/units-bench.ts';

const n = Number(process.argv[2] ?? 300);
const t = Date.now();
const u = unitsFigures(await measureRun({ customers: n }));
console.log(
  JSON.stringify(
    {
      n,
      s: (Date.now() - t) / 1000,
      ratio: u.perMessageVsMinimum,
      upm: u.unitsPerMessage,
      min: u.minimumPerMessage,
      bd: u.breakdown,
    },
    null,
    1,
  ),
);
