/**
 * The domain core stays pure: no AWS SDK or Lambda types, no I/O, no clock and no randomness. Every
 * later part (handlers, CDK, local runtime) calls it, so a leak here would leak everywhere.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DOMAIN = new URL('../../functions/domain/', import.meta.url).pathname;
const files = readdirSync(DOMAIN).filter((f) => f.endsWith('.ts'));

const FORBIDDEN: { rule: string; pattern: RegExp }[] = [
  { rule: 'imports the AWS SDK', pattern: /from ['"]@aws-sdk\// },
  {
    rule: 'imports AWS Lambda or Powertools',
    pattern: /from ['"](aws-lambda|@aws-lambda-powertools\/|@middy\/)/,
  },
  { rule: 'imports a Node built-in (I/O)', pattern: /from ['"]node:/ },
  { rule: 'imports outside the domain', pattern: /from ['"]\.\.\// },
  { rule: 'reads the clock', pattern: /Date\.now\(|new Date\(\s*\)|performance\.now\(/ },
  { rule: 'uses randomness', pattern: /Math\.random\(|crypto\.random/ },
  { rule: 'reads the environment', pattern: /process\.env/ },
];

describe('functions/domain', () => {
  it('has modules to check', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files)('%s is pure', (file) => {
    // Prepare
    const text = readFileSync(join(DOMAIN, file), 'utf8');

    // Act
    const broken = FORBIDDEN.filter(({ pattern }) => pattern.test(text)).map(({ rule }) => rule);

    // Assess
    expect(broken).toEqual([]);
  });
});
