/** Builds the engine for tests: bundling skipped, built-in CloudFormation validation off, temp outdir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { Engine } from '../../lib/app.ts';
import { buildEngine } from '../../lib/app.ts';

const outdirs: string[] = [];

export function testApp(context: Record<string, unknown> = {}): App {
  const outdir = mkdtempSync(join(tmpdir(), 'loyalty-cdk-'));
  outdirs.push(outdir);
  return new App({
    outdir,
    builtinCloudFormationValidation: false,
    context: {
      'aws:cdk:bundling-stacks': [],
      '@aws-cdk/core:defaultCrossStackReferences': 'strong',
      ...context,
    },
  });
}

export function buildTestEngine(context: Record<string, unknown> = {}): { app: App; engine: Engine } {
  const app = testApp(context);
  return { app, engine: buildEngine(app) };
}

/** Removes the assembly directories the synths created (call from afterAll). */
export function cleanUp(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
