/**
 * Self time of a V8 CPU profile (node --cpu-prof) by function, with the lines this task watches
 * (readSync / dataSync, the garbage collector, wasm code) as shares of all sampled time:
 *
 *   npx tsx bench/profile-summary.ts <file.cpuprofile> [--top 25]
 */
import { readFileSync } from 'node:fs';

interface Node {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: number[];
}
interface Profile {
  readonly nodes: Node[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

// node --cpu-prof also writes a profile of tsx's loader thread, idle most of the time: of the files
// given, read the one with the most time spent outside (idle).
const files = process.argv.slice(2).filter((a) => a.endsWith('.cpuprofile'));
if (files.length === 0) throw new Error('profile-summary: usage: profile-summary <file.cpuprofile>... [--top N]');
const topAt = process.argv.indexOf('--top');
const top = topAt >= 0 ? Number(process.argv[topAt + 1]) : 25;
const busy = (q: Profile) => {
  const idle = new Set(q.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  return q.samples.reduce((t, id, i) => t + (idle.has(id) ? 0 : (q.timeDeltas[i] ?? 0)), 0);
};
const p = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Profile).sort((a, b) => busy(b) - busy(a))[0]!;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map<number, number>();
p.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);

const name = (n: Node) => {
  const f = n.callFrame;
  const where = f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(kernels|src)\//, '$1/');
  return `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`;
};
/** Self time plus the self time of everything a node calls (inclusive), by function name. */
const inclusive = (pred: (n: Node) => boolean) => {
  let t = 0;
  for (const [id, us] of self) {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      if (pred(byId.get(cur)!)) {
        t += us;
        break;
      }
    }
  }
  return t;
};
const agg = new Map<string, number>();
for (const [id, us] of self) {
  const key = name(byId.get(id)!);
  agg.set(key, (agg.get(key) ?? 0) + us);
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1)}%`;
const isWasm = (n: Node) =>
  n.callFrame.url.startsWith('wasm://') || /^\$?(xnn|wasm-function)/.test(n.callFrame.functionName);
let wasm = 0;
for (const [id, us] of self) if (isWasm(byId.get(id)!)) wasm += us;
console.log(`profile: ${(total / 1e6).toFixed(2)} s sampled`);
console.log(`  readSync (inclusive) ${pct(inclusive((n) => n.callFrame.functionName.endsWith('readSync')))}`);
console.log(`  dataSync (inclusive) ${pct(inclusive((n) => n.callFrame.functionName.endsWith('dataSync')))}`);
console.log(`  (garbage collector)  ${pct(agg.get('(garbage collector) :0') ?? 0)}`);
console.log(`  (idle)               ${pct(agg.get('(idle) :0') ?? 0)}`);
console.log(`  wasm code (self)     ${pct(wasm)}`);
console.log(`top ${top} by self time:`);
for (const [k, us] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us).padStart(6)}  ${k}`);

// Who reads back: for each readSync sample, the tfjs kernel that called it and the first frame of
// this repository (kernels/, src/) above it.
const readers = new Map<string, number>();
for (const [id, us] of self) {
  if (!byId.get(id)!.callFrame.functionName.endsWith('readSync')) continue;
  const op = byId.get(parent.get(id) ?? id)!.callFrame.functionName || '(anonymous)';
  let ours = '(none)';
  for (let cur = parent.get(id); cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur)!;
    if (!n.callFrame.url.includes('node_modules') && n.callFrame.url.startsWith('file:')) {
      ours = name(n);
      break;
    }
  }
  const key = `${op} <- ${ours}`;
  readers.set(key, (readers.get(key) ?? 0) + us);
}
if (readers.size > 0) console.log('readSync by caller:');
for (const [k, us] of [...readers].sort((a, b) => b[1] - a[1]).slice(0, 8))
  console.log(`  ${pct(us).padStart(6)}  ${k}`);
