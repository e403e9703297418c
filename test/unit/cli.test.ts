/**
 * The CLI (local/cli.ts): help on every command, usage errors (exit 2), a small simulate run with its
 * measurement, and `report` on its output directory.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../local/cli.ts';
import { OUTPUT_FILES } from '../../local/outputs.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('cli', () => {
  it.each(['demo', 'simulate', 'replay', 'import-online-retail', 'report'])('%s --help', async (command) => {
    const r = await run(command, '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`loyalty-triggers ${command}`);
  });

  it('credits the UCI data in the import help', async () => {
    expect((await run('import-online-retail', '--help')).stdout).toContain('doi:10.24432/C5CG6D');
  });

  it.each([
    [['nope'], 'unknown command "nope"'],
    [['replay', '--events', 'x.jsonl', '--out', 'd', '--bogus'], "Unknown option '--bogus'"],
    [['replay', '--out', 'd'], '--events FILE.jsonl is required'],
    [['replay', '--events', 'x.jsonl'], '--out DIR is required'],
    [['replay', '--events', 'x', '--out', 'd', '--from', 'yesterday'], '--from must be an ISO instant'],
    [
      ['replay', '--events', 'x', '--out', 'd', '--from', '2011-01-02', '--until', '2011-01-01'],
      'after --from',
    ],
    [['simulate', '--customers', 'many'], '--customers must be an integer'],
    [['simulate', '--days'], "Option '--days <value>' argument missing"],
    [['demo', '--colour'], "Unknown option '--colour'"],
    [['import-online-retail', '--out', 'e.jsonl'], 'the input FILE.csv.gz is required'],
    [['import-online-retail', 'a.csv.gz'], '--out EVENTS.jsonl is required'],
    [['import-online-retail', 'a.csv.gz', 'b.csv.gz', '--out', 'e'], 'unexpected argument "b.csv.gz"'],
    [['import-online-retail', 'a.csv.gz', '--out', 'e', '--seed=-1'], '--seed must be an integer'],
    [['report'], '--in DIR is required'],
    [['report', '--in', 'd', '--html'], "Unknown option '--html'"],
  ])('%j fails with exit 2', async (argv, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('Usage:');
    expect(r.stdout).toBe('');
  });

  it('reports a missing events file with exit 1, writing nothing to --out', async () => {
    const r = await run('replay', '--events', join(dir, 'missing.jsonl'), '--out', join(dir, 'x'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot read the events file ${join(dir, 'missing.jsonl')}: no such file`);
    expect(existsSync(join(dir, 'x'))).toBe(false);
    const folder = await run('replay', '--events', dir, '--out', join(dir, 'y'));
    expect(folder.code).toBe(1);
    expect(folder.stderr).toContain('cannot read the events file');
    expect(existsSync(join(dir, 'y'))).toBe(false);
  });

  it('reports a missing run directory or summary.json with exit 1', async () => {
    const missing = await run('report', '--in', join(dir, 'no-such-run'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${join(dir, 'no-such-run')} is not a directory`);

    const empty = join(dir, 'empty-run');
    mkdirSync(empty);
    const noSummary = await run('report', '--in', empty);
    expect(noSummary.code).toBe(1);
    expect(noSummary.stderr).toContain(`cannot read ${join(empty, 'summary.json')}`);
    expect(noSummary.stdout).toBe('');
  });

  it('names the runtimes it knows when given another', async () => {
    const r = await run('simulate', '--runtime', 'lambda');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--runtime must be embedded or memory (got "lambda")');
  });

  it('simulate --json writes the outputs and prints the summary', async () => {
    const out = join(dir, 'sim');
    const r = await run(
      'simulate',
      '--customers',
      '30',
      '--days',
      '30',
      '--seed',
      '3',
      '--out',
      out,
      '--runtime',
      'memory',
      '--json',
    );
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({
      command: 'simulate',
      runtime: 'memory',
      customers: 30,
      days: 30,
      seed: 3,
    });
    for (const f of OUTPUT_FILES) expect(existsSync(join(out, f))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).events).toBe(summary.events);
    // The measurement: a row per campaign of the pack, the groups and the total.
    expect(summary.measurement.campaigns.map((r: { id: string }) => r.id)).toEqual(
      summary.campaigns.map((r: { campaignId: string }) => r.campaignId),
    );
    expect(Object.keys(summary.measurement.groups)).toEqual(['personalised', 'generic']);
    expect(summary.measurement.total.counts.issued).toBe(summary.totals.fired);
  });

  it('report --in prints the run table and the measurement and rebuilds report.html', async () => {
    // Prepare: the run of the test above, its report.html removed.
    const out = join(dir, 'sim');
    rmSync(join(out, 'report.html'));

    // Act
    const r = await run('report', '--in', out);

    // Assess
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('personal-offers-weekly');
    expect(r.stdout).toMatch(/^campaign +trigger +fired +email/m);
    expect(r.stdout).toContain('uplift [95% CI]');
    expect(r.stdout).toContain('PERSONALISED');
    expect(r.stdout).toContain(`Report: ${join(out, 'report.html')}`);
    expect(statSync(join(out, 'report.html')).size).toBeGreaterThan(10_000);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('id="measurement"');
  });

  it('simulate prints the measurement after the run table', async () => {
    const out = join(dir, 'sim-text');
    const r = await run('simulate', '--customers', '20', '--days', '20', '--out', out, '--runtime', 'memory');
    expect(r.code).toBe(0);
    const runTable = r.stdout.indexOf('suppressed by reason');
    const outcomes = r.stdout.indexOf('uplift [95% CI]');
    expect(runTable).toBeGreaterThan(0);
    expect(outcomes).toBeGreaterThan(runTable);
    expect(r.stdout).toContain('Last-touch attribution');
  });

  it('runs as a script under tsx', () => {
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', 'local/cli.ts', '--help'], {
      encoding: 'utf8',
    });
    expect(stdout).toContain('import-online-retail');
  });
});
