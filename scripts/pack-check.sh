#!/usr/bin/env bash
# Packs attnfuzz as a user gets it (npm pack runs prepack -> build), installs the tarball into a fresh
# folder with no network (`npm ci --offline` against a lockfile made from the project's own lockfile;
# the npm cache filled by the project's `npm ci` suffices), then checks the bin, ESM import, types, tsx.
# Usage: scripts/pack-check.sh [work-dir]   (extra npm flags, e.g. --cache DIR, via NPM_FLAGS)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${1:-$(mktemp -d)}"
NPM_FLAGS="${NPM_FLAGS:-}"
mkdir -p "$WORK/pack"
t0=$(date +%s%N)
step() {
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  printf '== [%d.%03d s] %s\n' $((ms / 1000)) $((ms % 1000)) "$1"
}

step "npm pack"
( cd "$ROOT" && npm pack --silent --json --pack-destination "$WORK/pack" $NPM_FLAGS > "$WORK/pack/pack.json" )
TGZ="$WORK/pack/$(node -p "require('$WORK/pack/pack.json')[0].filename")"
ls -l "$TGZ" | awk '{print $5, $9}'

step "consumer: package.json + lockfile from the project's lockfile"
C="$WORK/consumer"
rm -rf "$C" && mkdir -p "$C" && cp "$ROOT"/test/pack/consumer/* "$C"/
node --input-type=module -e "
  import { writeFileSync } from 'node:fs';
  import { consumerLock } from '$ROOT/test/pack/consumerLock.mjs';
  const packed = JSON.parse(process.argv[1])[0];
  const spec = 'file:../pack/' + packed.filename;
  const tarballPkg = JSON.parse(process.argv[2]);
  const pkg = { name: 'consumer', private: true, type: 'module', dependencies: { attnfuzz: spec } };
  writeFileSync('$C/package.json', JSON.stringify(pkg, null, 2));
  const lock = consumerLock({
    projectLock: '$ROOT/package-lock.json', tarballPkg, tarballSpec: spec, tarballIntegrity: packed.integrity,
  });
  writeFileSync('$C/package-lock.json', JSON.stringify(lock, null, 2));
" "$(cat "$WORK/pack/pack.json")" "$(tar -xOzf "$TGZ" package/package.json)"

step "npm ci --offline"
# (grep finds no line when npm is silent, as under `npm run --silent`: not a failure)
( cd "$C" && npm ci --offline --no-audit --no-fund $NPM_FLAGS 2>&1 | { grep -v 'install-scripts' || true; } )
echo "consumer node_modules: $(du -sh "$C/node_modules" | cut -f1)"
echo "tfjs-core copies: $(find "$C/node_modules" -type d -name tfjs-core | wc -l)"

cd "$C"
step "npx attnfuzz --help"
npx --offline attnfuzz --help | head -3

step "node use.mjs (import from 'attnfuzz')"
node use.mjs

# One program (type-checking the libraries' .d.ts costs most of it): use.ts and my-kernel.ts must
# type-check, and bad-types.ts must not.
step "tsc -p . in the consumer (skipLibCheck false): use.ts, my-kernel.ts, bad-types.ts"
set +e
node "$ROOT/node_modules/typescript/bin/tsc" -p . --pretty false > tsc.out 2>&1
rc=$?
set -e
errors="$(grep -E ': error TS[0-9]+' tsc.out || true)"
others="$(grep -E ': error TS[0-9]+' tsc.out | grep -v '^bad-types\.ts(' || true)"
if [ -n "$others" ]; then echo "tsc: errors outside bad-types.ts:" >&2; cat tsc.out >&2; exit 1; fi
echo "tsc ok"
if [ "$rc" -eq 0 ] || [ -z "$errors" ]; then
  echo "bad-types.ts type-checked: the .d.ts are not typing the API" >&2; exit 1
fi
echo "bad-types.ts rejected, as it should be: ${errors%%$'\n'*}"

step "npx tsx use.ts"
npx --offline tsx use.ts

step "npx attnfuzz check --kernel ./my-kernel.ts (a .ts user kernel, broken on purpose: expect exit 1)"
set +e
npx --offline attnfuzz check --kernel ./my-kernel.ts --runs 200 --seed 1 > check.out 2>&1
rc=$?
set -e
grep -E '^(saved|replay):' check.out
[ "$rc" = 1 ] || { echo "expected exit 1, got $rc" >&2; cat check.out >&2; exit 1; }
node -e "
  const fs=require('fs');
  const f=fs.readdirSync('corpus/regressions').find(f=>f.endsWith('.json'));
  const found=JSON.parse(fs.readFileSync('corpus/regressions/'+f)).found;
  console.log('saved versions:', JSON.stringify({attnfuzz: found.attnfuzz, tfjs: found.tfjs}))
"

step "done"
