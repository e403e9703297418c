/**
 * Bad command lines and what `main(argv, io)` of local/cli.ts must answer: exit 2 with the reason and
 * the command's usage for usage errors, exit 1 with the reason for files it cannot use. Nothing goes to
 * stdout and no run starts.
 *
 * `$DIR` in an argument stands for a fresh temporary directory holding `events.jsonl` (one valid event)
 * and `bad-campaigns.yaml` (a campaign file with an unknown trigger, from the campaign corpus).
 */
import type { CorpusCase } from './types.ts';

export interface CliCase extends CorpusCase {
  argv: string[];
  expect: { code: 1 | 2; stderr: string };
}

export const CLI_CASES: CliCase[] = [
  {
    id: 'cli-unknown-command',
    description: 'a misspelt command',
    argv: ['simulte'],
    expect: { code: 2, stderr: 'unknown command "simulte"' },
  },
  {
    id: 'cli-unknown-option',
    description: 'an option the command does not have',
    argv: ['simulate', '--customer', '5'],
    expect: { code: 2, stderr: "Unknown option '--customer'" },
  },
  {
    id: 'cli-missing-value',
    description: 'an option without its value',
    argv: ['simulate', '--seed'],
    expect: { code: 2, stderr: "Option '--seed <value>' argument missing" },
  },
  {
    id: 'cli-non-numeric-customers',
    description: '--customers ten',
    argv: ['simulate', '--customers', 'ten'],
    expect: { code: 2, stderr: '--customers must be an integer from 1 to 10000000 (got "ten")' },
  },
  {
    id: 'cli-fractional-days',
    description: '--days 1.5',
    argv: ['simulate', '--days', '1.5'],
    expect: { code: 2, stderr: '--days must be an integer from 1 to 3650 (got "1.5")' },
  },
  {
    id: 'cli-negative-customers',
    description: '--customers=-5',
    argv: ['demo', '--customers=-5'],
    expect: { code: 2, stderr: '--customers must be an integer' },
  },
  {
    id: 'cli-bad-from',
    description: '--from in words',
    argv: ['replay', '--events', '$DIR/events.jsonl', '--out', '$DIR/out', '--from', 'last tuesday'],
    expect: { code: 2, stderr: '--from must be an ISO instant (got "last tuesday")' },
  },
  {
    id: 'cli-until-before-from',
    description: '--until before --from',
    argv: [
      'replay',
      '--events',
      '$DIR/events.jsonl',
      '--out',
      '$DIR/out',
      '--from',
      '2026-02-01T00:00:00Z',
      '--until',
      '2026-01-01T00:00:00Z',
    ],
    expect: { code: 2, stderr: '--until must be after --from' },
  },
  {
    id: 'cli-bad-start',
    description: 'simulate --start that is no date',
    argv: ['simulate', '--start', 'soon'],
    expect: { code: 2, stderr: '--start must be an ISO instant (got "soon")' },
  },
  {
    id: 'cli-missing-required',
    description: 'replay without --events',
    argv: ['replay', '--out', '$DIR/out'],
    expect: { code: 2, stderr: '--events FILE.jsonl is required' },
  },
  {
    id: 'cli-stray-argument',
    description: 'a positional argument replay does not take',
    argv: ['replay', '$DIR/events.jsonl', '--out', '$DIR/out'],
    expect: { code: 2, stderr: 'Unexpected argument' },
  },
  {
    id: 'cli-missing-events-file',
    description: 'an events file that does not exist',
    argv: ['replay', '--events', '$DIR/nowhere.jsonl', '--out', '$DIR/out-missing'],
    expect: { code: 1, stderr: 'nowhere.jsonl: no such file' },
  },
  {
    id: 'cli-missing-campaigns-file',
    description: 'a campaign file that does not exist',
    argv: ['simulate', '--customers', '1', '--campaigns', '$DIR/nowhere.yaml', '--out', '$DIR/sim'],
    expect: { code: 1, stderr: 'ENOENT' },
  },
  {
    id: 'cli-bad-campaigns-file',
    description: 'a campaign file with an unknown trigger',
    argv: [
      'replay',
      '--events',
      '$DIR/events.jsonl',
      '--campaigns',
      '$DIR/bad-campaigns.yaml',
      '--out',
      '$DIR/o',
    ],
    expect: { code: 1, stderr: 'bad-campaigns.yaml:' },
  },
];
