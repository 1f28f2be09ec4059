/**
 * What `attnfuzz fuzz` says when its campaign ends: the report files written (report.json,
 * junit.xml, index.html), then a summary (per target, per failure with its replay line) or one JSON
 * value with --json. The return value is the exit code: 1 a case failed, 2 nothing was checked, else 0.
 */
import { type CampaignResult, writeReport } from '../../campaign/index.js';
import type { Io } from '../io.js';
import type { FuzzFlags } from './fuzzFlags.js';

const firstLine = (e: unknown) => ((e as Error).message ?? String(e)).split('\n')[0]!;

/** Writes the report files and prints the outcome; returns the exit code. */
export function reportFuzz(result: CampaignResult, flags: FuzzFlags, seed: number, io: Io): number {
  let files: { html: string } | null = null;
  try {
    files = writeReport(flags.report, result.report);
  } catch (e) {
    io.err(`fuzz: --report ${flags.report}: could not write the report: ${firstLine(e)}\n`);
  }
  if (flags.json)
    io.out(
      JSON.stringify({
        ...result.report.totals,
        seed,
        shard: result.report.shard,
        failures: result.report.failures.map((f) => ({
          signature: f.signature,
          hits: f.hits,
          known: f.known,
          file: f.file,
        })),
        report: files?.html ?? null,
      }) + '\n',
    );
  else io.out(summary(result, files, flags.report).join('\n') + '\n');
  const t = result.report.totals;
  if (result.failed) return 1;
  if (t.cases === t.unsupported) {
    io.err(
      `fuzz: nothing was checked: ` +
        `${t.cases === 0 ? 'no case ran' : `all ${t.cases} cases were declined by the kernels`}\n`,
    );
    return 2;
  }
  return 0;
}

function summary(r: CampaignResult, files: { html: string } | null, reportDir: string): string[] {
  const t = r.report.totals;
  const lines = [
    `fuzz: ${t.cases} cases in ${r.report.elapsedSeconds.toFixed(1)} s (${t.casesPerSecond} cases/s, ` +
      `${r.report.workers} worker${r.report.workers === 1 ? '' : 's'}), seed ${r.report.seed}, shard ` +
      `${r.report.shard.index}/${r.report.shard.count}, ended by ${r.report.ended}: ${t.failed} failed, ` +
      `${t.distinct} distinct failures (${t.newDistinct} new)`,
  ];
  for (const x of r.report.targets)
    lines.push(
      `  ${x.kernel} (${x.suite}): ${x.cases} cases, ${x.unsupported} unsupported, ${x.failed} failed, ` +
        `${x.distinct} distinct${x.stopped ? `; ${x.stopped}` : ''}`,
    );
  for (const f of r.report.failures) {
    lines.push(`${f.known ? 'known' : 'new'}: ${f.signature} (${f.hits} hit${f.hits === 1 ? '' : 's'}): ${f.summary}`);
    if (f.replay) lines.push(`  replay: ${f.replay}`);
  }
  lines.push(
    files
      ? `report: ${files.html} (and report.json, junit.xml beside it)`
      : `report: not written to ${reportDir} (see above)`,
  );
  return lines;
}
