/**
 * Writes `report.html` into a run's output directory: the aggregates of its files (report-data.ts)
 * rendered as one self-contained page (render-report.ts).
 *
 *   npx tsx local/report/write-report.ts DIR [--png]
 *
 * `--png` also opens the report in headless Chromium (Debian package `chromium`) and saves
 * `report.png` next to it (screenshot.ts).
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderReport } from './render-report.ts';
import { collectReportData } from './report-data.ts';

/** Collects, renders and writes `dir/report.html`; returns its path. */
export async function writeReport(dir: string): Promise<string> {
  const data = await collectReportData(dir);
  const path = join(dir, 'report.html');
  await writeFile(path, renderReport(data), 'utf8');
  return path;
}

async function main(args: string[]): Promise<number> {
  const dir = args.find((a) => !a.startsWith('--'));
  if (dir === undefined || args.includes('--help')) {
    process.stderr.write('Usage: npx tsx local/report/write-report.ts DIR [--png]\n');
    return dir === undefined ? 2 : 0;
  }
  const path = await writeReport(dir);
  process.stdout.write(`Report: ${path}\n`);
  if (args.includes('--png')) {
    const { screenshotReport } = await import('./screenshot.ts');
    const png = join(dir, 'report.png');
    const check = await screenshotReport(path, png);
    const marks = Object.entries(check.marks).map(([chart, n]) => `${chart} ${n}`);
    process.stdout.write(`Screenshot: ${png} (marks: ${marks.join(', ')})\n`);
  }
  return 0;
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
