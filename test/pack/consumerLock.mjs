// Builds a consumer's package-lock.json that installs the packed tarball with exactly the versions
// of the project's own package-lock.json (the production closure of the tarball's dependencies), so
// `npm ci --offline` in the consumer needs nothing but the npm cache that the project's `npm ci` filled.
import { readFileSync } from 'node:fs';

/** Node-style lookup of `name` from the lock path `from` (e.g. node_modules/a/node_modules/b). */
function locate(packages, from, name) {
  let base = from;
  for (;;) {
    const p = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[p]) return p;
    if (!base) return null;
    const i = base.lastIndexOf('/node_modules/');
    base = i < 0 ? '' : base.slice(0, i);
  }
}

const tarballUrl = (name, version) => `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${version}.tgz`;

export function consumerLock({ projectLock, tarballPkg, tarballSpec, tarballIntegrity, consumerName = 'consumer' }) {
  const packages = JSON.parse(readFileSync(projectLock, 'utf8')).packages;
  const out = {};
  const todo = Object.keys({ ...tarballPkg.dependencies, ...tarballPkg.optionalDependencies }).map((n) => ['', n]);
  while (todo.length) {
    const [from, name] = todo.pop();
    const path = locate(packages, from, name);
    if (!path) {
      if (tarballPkg.optionalDependencies?.[name] || packages[from]?.optionalDependencies?.[name]) continue;
      throw new Error(`${name} (needed by ${from || 'attnfuzz'}) is not in ${projectLock}`);
    }
    if (out[path]) continue;
    const { dev, devOptional, peer, ...entry } = packages[path];
    if (!entry.resolved && !entry.link) entry.resolved = tarballUrl(path.split('node_modules/').pop(), entry.version);
    out[path] = entry;
    for (const n of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) todo.push([path, n]);
  }
  const deps = { attnfuzz: tarballSpec };
  const { version, license, dependencies, optionalDependencies, peerDependencies, peerDependenciesMeta, bin, engines } =
    tarballPkg;
  return {
    name: consumerName,
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: consumerName, dependencies: deps },
      'node_modules/attnfuzz': {
        version,
        resolved: tarballSpec,
        integrity: tarballIntegrity,
        license,
        dependencies,
        optionalDependencies,
        peerDependencies,
        peerDependenciesMeta,
        bin,
        engines,
      },
      ...Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b))),
    },
  };
}
