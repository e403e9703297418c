import { loadDefaultPack } from '../bench/default-pack.ts';
import { runMemorySimulation } from '../local/memory-simulation.ts';

for (const start of [
  '2026-01-01T00:00:00.000Z',
  '2026-01-01T06:00:00.000Z',
  '2026-01-01T18:00:00.000Z',
  '2026-01-01T21:00:00.000Z',
]) {
  for (const days of [30, 60, 90]) {
    const r = await runMemorySimulation({ customers: 60, days, seed: 7, start, pack: loadDefaultPack() });
    console.log(start, days, r.heldAtEnd, r.outputs.messages);
  }
}
