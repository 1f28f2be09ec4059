/**
 * index.html of a campaign: one self-contained page (inline CSS and SVG, no script, nothing
 * fetched), readable from a CI artifact or a file:// URL:
 *
 *   the run      command, seed, shard, backend, workers, budget, totals
 *   kernels      one row per kernel x suite: cases, passed, unsupported, failed, distinct, stopped
 *   over time    cases/s and distinct failures (inline SVG line charts)
 *   failures     one block per distinct failure: signature, hits, verdict, repro, heatmap, replay
 *   coverage     one bar chart per axis of the case space drawn (dims, lengths, masks, dtypes, ...)
 */
import type { CampaignReport, FailureEntry } from './campaignReport.js';
import { barChart, escapeXml as esc, lineChart, rates } from './plots.js';

const CSS = `body{font-family:system-ui,sans-serif;margin:24px;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}.fail{color:#b00020;font-weight:bold}.ok{color:#2e7d32}
pre{background:#f7f7f7;padding:8px;overflow-x:auto;font-size:12px}.charts{display:flex;flex-wrap:wrap;gap:12px}
details{border:1px solid #ddd;border-radius:4px;padding:6px 10px;margin:8px 0}summary{cursor:pointer}
code{background:#f3f3f3;padding:1px 4px}.heat svg{max-width:100%;height:auto}`;

/** Numeric buckets in numeric order ("2" < "10" < "17-32"), others in name order. */
function orderBuckets(h: Readonly<Record<string, number>>): Array<[string, number]> {
  const lead = (s: string) => Number(/^\d+/.exec(s)?.[0] ?? NaN);
  return Object.entries(h).sort(([a], [b]) =>
    Number.isNaN(lead(a)) || Number.isNaN(lead(b)) ? a.localeCompare(b) : lead(a) - lead(b) || a.localeCompare(b),
  );
}

function failureBlock(f: FailureEntry): string {
  const lines = [
    `<details${f.known ? '' : ' open'}><summary><span class="fail">${esc(f.kind.toUpperCase())}</span> ` +
      `<code>${esc(f.signature)}</code>: ${f.hits} ` +
      `hit${f.hits === 1 ? '' : 's'}${f.known ? ' (known before this campaign)' : ''}</summary>`,
    `<p>${esc(f.summary)}</p>`,
  ];
  if (f.replay)
    lines.push(`<p>replay: <code>${esc(f.replay)}</code>${f.shrunk ? '' : ' (saved as found, not shrunk)'}</p>`);
  if (f.firstCase !== null) lines.push(`<p>first hit: case ${f.firstCase} at ${f.firstSeconds} s</p>`);
  if (f.verdict.length > 0) lines.push(`<h4>verdict</h4><pre>${esc(f.verdict.join('\n'))}</pre>`);
  if (f.repro.length > 0) lines.push(`<h4>repro</h4><pre>${esc(f.repro.join('\n'))}</pre>`);
  if (f.heatmap) lines.push(`<h4>heatmap</h4><div class="heat">${f.heatmap.replace(/^<\?xml[^>]*>\s*/, '')}</div>`);
  lines.push('</details>');
  return lines.join('\n');
}

export function campaignHtml(r: CampaignReport): string {
  const t = r.totals;
  const budget =
    [r.budget.seconds !== null ? `${r.budget.seconds} s` : '', r.budget.runs !== null ? `${r.budget.runs} cases` : '']
      .filter(Boolean)
      .join(' or ') || 'none';
  const out: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>attnfuzz campaign: ${t.failed > 0 ? `${t.distinct} distinct failures` : 'no failure'}</title>`,
    `<style>${CSS}</style></head><body>`,
  ];
  const headline =
    t.failed > 0 ? `${t.distinct} distinct failure${t.distinct === 1 ? '' : 's'} (${t.newDistinct} new)` : 'no failure';
  out.push(`<h1>attnfuzz campaign: <span class="${t.failed > 0 ? 'fail' : 'ok'}">${headline}</span></h1>`);
  out.push(`<p><code>${esc(r.command)}</code></p>`);
  out.push(
    `<table><tr><th class="l">seed</th><td>${r.seed}</td><th ` +
      `class="l">shard</th><td>${r.shard.index}/${r.shard.count}</td><th ` +
      `class="l">backend</th><td>${esc(r.backend)}</td><th class="l">workers</th><td>${r.workers}</td></tr>`,
    `<tr><th class="l">budget</th><td>${esc(budget)}</td><th class="l">elapsed</th><td>${r.elapsedSeconds} ` +
      `s</td><th class="l">ended by</th><td>${r.ended}</td><th class="l">started</th><td>${esc(r.started)}</td></tr>`,
    `<tr><th class="l">cases</th><td>${t.cases}</td><th class="l">cases/s</th><td>${t.casesPerSecond}</td><th ` +
      `class="l">failed</th><td>${t.failed}</td><th class="l">attnfuzz / tfjs</th><td>${esc(r.attnfuzz)} / ` +
      `${esc(r.tfjs)}</td></tr></table>`,
  );
  out.push(
    '<h2>Kernels</h2><table><tr><th class="l">kernel</th><th class="l">suite</th><th>cases</th><th>passed</th>' +
      '<th>unsupported</th><th>failed</th><th>timeouts</th><th>leaks</th><th>distinct</th><th class="l">note</th></tr>',
  );
  for (const x of r.targets)
    out.push(
      `<tr><td class="l">${esc(x.kernel)}</td><td class="l">${x.suite}</td><td>${x.cases}</td><td>${x.pass}</td>` +
        `<td>${x.unsupported}</td><td class="${x.failed > 0 ? 'fail' : ''}">${x.failed}</td><td>${x.timeouts}</td>` +
        `<td>${x.leaks}</td><td>${x.distinct}</td><td class="l">${esc(x.stopped ?? '')}</td></tr>`,
    );
  out.push('</table>');
  out.push('<h2>Over time</h2><div class="charts">');
  out.push(lineChart({ title: 'cases per second', xLabel: 'seconds', yLabel: 'cases/s', points: rates(r.timeline) }));
  out.push(
    lineChart({
      title: 'distinct failures',
      xLabel: 'seconds',
      yLabel: 'distinct',
      points: r.timeline.map((p) => [p.seconds, p.distinct] as const),
      step: true,
    }),
  );
  out.push('</div>');
  out.push(`<h2>Failures (${r.failures.length})</h2>`);
  if (r.failures.length === 0) out.push('<p class="ok">No case failed.</p>');
  for (const f of r.failures) out.push(failureBlock(f));
  out.push('<h2>Coverage of the case space drawn</h2><div class="charts">');
  for (const axis of Object.keys(r.coverage).sort())
    out.push(barChart({ title: axis, bars: orderBuckets(r.coverage[axis]!) }));
  out.push('</div>');
  const c = r.corpus;
  out.push(`<h2>Corpus</h2><p><code>${esc(c.dir)}</code>: ${c.known} signatures known before this campaign.</p>`);
  if (c.temps.length + c.problems.length > 0)
    out.push(`<pre>${esc([...c.temps, ...c.problems.map((p) => `skipped ${p}`)].join('\n'))}</pre>`);
  out.push('</body></html>');
  return out.join('\n') + '\n';
}
