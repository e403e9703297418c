/**
 * Writes the JSON Schemas published in the repo, generated from the zod schemas so they can't drift
 * (a unit test compares each committed file with a fresh rendering).
 *
 *   npx tsx local/write-schemas.ts          # regenerate
 *   npx tsx local/write-schemas.ts --check  # exit 1 when a committed file is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { CampaignFile } from '../functions/domain/campaign.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface GeneratedSchema {
  /** Path relative to the repository root. */
  path: string;
  render: () => string;
}

function campaignFileSchema(): string {
  // Input side: fields with defaults are optional, which is what a person writing the file needs.
  const { $schema, properties, ...rest } = z.toJSONSchema(CampaignFile, { io: 'input' });
  const schema = {
    $schema,
    $id: 'urn:loyalty-triggers:schema:campaign-file:v1',
    title: 'loyalty-triggers campaign file',
    description:
      'Program settings, guardrails and trigger campaigns for the loyalty-triggers engine (YAML or JSON). ' +
      'Generated from functions/domain/campaign.ts by local/write-schemas.ts: do not edit by hand.',
    ...rest,
    properties: {
      // The loader ignores "$schema", so JSON files can point editors at this schema.
      $schema: { type: 'string', description: 'The JSON Schema this file follows (for editors).' },
      ...properties,
    },
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

export const SCHEMAS: readonly GeneratedSchema[] = [
  { path: 'campaigns/campaign-file.schema.json', render: campaignFileSchema },
];

/** Paths of committed schemas that differ from a fresh rendering. */
export function staleSchemas(root = REPO_ROOT): string[] {
  return SCHEMAS.filter((s) => {
    try {
      return readFileSync(join(root, s.path), 'utf8') !== s.render();
    } catch {
      return true;
    }
  }).map((s) => s.path);
}

function main(args: string[]): void {
  if (args.includes('--check')) {
    const stale = staleSchemas();
    for (const path of stale) console.error(`${path} is stale: run npx tsx local/write-schemas.ts`);
    process.exitCode = stale.length > 0 ? 1 : 0;
    return;
  }
  for (const schema of SCHEMAS) {
    writeFileSync(join(REPO_ROOT, schema.path), schema.render());
    console.log(`wrote ${schema.path}`);
  }
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) main(process.argv.slice(2));
