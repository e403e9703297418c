/** The campaign file is validated at synth: a bad file fails, naming the field. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UnknownStageError } from '../../lib/config/stages.ts';
import { buildTestEngine, cleanUp } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'loyalty-campaigns-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  cleanUp();
});

describe('campaign file at synth', () => {
  it('accepts the default pack and ships it to the functions that evaluate', () => {
    const { engine } = buildTestEngine();
    expect(engine.files.campaignCount).toBeGreaterThan(0);
    expect(engine.files.campaignsFile).toMatch(/campaigns\/default\.yaml$/);
  });

  it('fails synth on a bad file, naming the file and the field', () => {
    const bad = join(dir, 'bad.yaml');
    const text = readFileSync('campaigns/default.yaml', 'utf8');
    writeFileSync(bad, `${text}\n  - id: broken-campaign\n    trigger: { kind: not-a-trigger }\n`);
    expect(() => buildTestEngine({ campaigns: bad })).toThrow(/bad\.yaml.*field /s);
  });

  it('fails synth on a missing file and an unknown stage', () => {
    expect(() => buildTestEngine({ campaigns: join(dir, 'missing.yaml') })).toThrow(/does not exist/);
    expect(() => buildTestEngine({ stage: 'staging' })).toThrow(UnknownStageError);
  });
});
