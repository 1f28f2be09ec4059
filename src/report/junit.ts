/**
 * junit.xml of a campaign, for the test tabs of CI systems (GitHub, GitLab, Jenkins): one
 * <testsuite> per suite, one <testcase> per kernel in it. A kernel that failed has one <failure>
 * listing each distinct failure with its hits and the command that replays it; a kernel whose
 * every case was declined (or that never ran) is <skipped>. A few lines of XML with escaping do
 * the job; no writer library is needed.
 *
 *   <testsuites name="attnfuzz fuzz" tests="3" failures="1" skipped="0" time="60.1">
 *     <testsuite name="attention" tests="3" failures="1" skipped="0" time="60.1">
 *       <testcase classname="attnfuzz.attention" name="flash" time="20.3">
 *         <failure type="mismatch" message="2 distinct failures in 812 cases">...</failure>
 */
import type { CampaignReport, TargetStats } from './campaignReport.js';
import { escapeXml } from './plots.js';

const attr = (o: Record<string, string | number>) =>
  Object.entries(o)
    .map(([k, v]) => `${k}="${escapeXml(String(v))}"`)
    .join(' ');

const seconds = (ms: number) => (ms / 1000).toFixed(3);

function testcase(r: CampaignReport, t: TargetStats): string {
  const head = `<testcase ${attr({ classname: `attnfuzz.${t.suite}`, name: t.kernel, time: seconds(t.ms) })}`;
  const mine = r.failures.filter((f) => f.kernel === t.kernel && f.suite === t.suite);
  const counts = `${t.cases} cases: ${t.pass} passed, ${t.unsupported} unsupported, ${t.failed} failed`;
  if (t.failed > 0) {
    const lines = mine.flatMap((f) => [
      `${f.signature} (${f.hits} hits${f.known ? ', known' : ''})`,
      `  ${f.summary}`,
      ...(f.replay ? [`  replay: ${f.replay}`] : []),
    ]);
    if (t.stopped) lines.push(t.stopped);
    const kinds = [...new Set(mine.map((f) => f.kind))].join(',') || 'failure';
    const message = `${mine.length} distinct failure${mine.length === 1 ? '' : 's'} in ${t.cases} cases`;
    const body = escapeXml([counts, ...lines].join('\n'));
    return `${head}>\n      <failure ${attr({ type: kinds, message })}>${body}</failure>\n    </testcase>`;
  }
  if (t.cases === t.unsupported) {
    const message = t.cases === 0 ? 'no case ran' : `all ${t.cases} cases were declined by the kernel`;
    return `${head}>\n      <skipped ${attr({ message })}/>\n    </testcase>`;
  }
  return `${head}>\n      <system-out>${escapeXml(counts)}</system-out>\n    </testcase>`;
}

export function campaignJunit(r: CampaignReport): string {
  const suites = [...new Set(r.targets.map((t) => t.suite))];
  const isFail = (t: TargetStats) => t.failed > 0;
  const isSkip = (t: TargetStats) => !isFail(t) && t.cases === t.unsupported;
  const counts = (ts: readonly TargetStats[]) => ({
    tests: ts.length,
    failures: ts.filter(isFail).length,
    skipped: ts.filter(isSkip).length,
  });
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites ${attr({ name: 'attnfuzz fuzz', ...counts(r.targets), time: r.elapsedSeconds.toFixed(3) })}>`);
  for (const s of suites) {
    const ts = r.targets.filter((t) => t.suite === s);
    const time = ts.reduce((a, t) => a + t.ms, 0) / 1000;
    out.push(
      `  <testsuite ${attr({ name: s, ...counts(ts), time: time.toFixed(3), timestamp: r.started.slice(0, 19) })}>`,
    );
    out.push(
      `    <properties><property ${attr({ name: 'seed', value: r.seed })}/><property ` +
        `${attr({ name: 'shard', value: `${r.shard.index}/${r.shard.count}` })}/><property ` +
        `${attr({ name: 'backend', value: r.backend })}/></properties>`,
    );
    for (const t of ts) out.push(`    ${testcase(r, t)}`);
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
