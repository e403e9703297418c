/**
 * Writes the JSON Schema of the SQS message body to `schemas/message.schema.json`, generated from the
 * zod schema in functions/domain/message.ts so it can't drift (a unit test compares the committed file
 * with a fresh rendering).
 *
 *   npx tsx local/write-message-schema.ts          # regenerate
 *   npx tsx local/write-message-schema.ts --check  # exit 1 when the committed file is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { messageJsonSchema } from '../functions/domain/message.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Path of the published schema, relative to the repository root. */
export const MESSAGE_SCHEMA_PATH = 'schemas/message.schema.json';

/** The file's expected content: the schema as 2-space JSON with a trailing newline. */
export function renderMessageSchema(): string {
  return `${JSON.stringify(messageJsonSchema(), null, 2)}\n`;
}

/** Whether the committed file differs from a fresh rendering (or is missing). */
export function messageSchemaIsStale(root = ROOT): boolean {
  try {
    return readFileSync(join(root, MESSAGE_SCHEMA_PATH), 'utf8') !== renderMessageSchema();
  } catch {
    return true;
  }
}

function main(args: string[]): void {
  if (args.includes('--check')) {
    const stale = messageSchemaIsStale();
    if (stale) console.error(`${MESSAGE_SCHEMA_PATH} is stale: run npx tsx local/write-message-schema.ts`);
    process.exitCode = stale ? 1 : 0;
    return;
  }
  writeFileSync(join(ROOT, MESSAGE_SCHEMA_PATH), renderMessageSchema());
  console.log(`wrote ${MESSAGE_SCHEMA_PATH}`);
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) main(process.argv.slice(2));
