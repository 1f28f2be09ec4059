import { defineConfig } from 'vitest/config';

/**
 * Two projects in one pool. Most files run in this process on tfjs: they share one process per
 * worker (isolate: false), so tfjs, the harness and the kernels are imported once per worker rather
 * than once per file (about 0.5-1 s of CPU a file). fixtures/backend-setup.ts still runs before each
 * file, so each starts on the ATTNFUZZ_BACKEND backend; a file that sets an environment variable
 * deletes it after itself. The files below get a fresh process each: their subject is processes
 * (campaign workers, signals, kill -9, orphans, the packed package, PyTorch), and most of their time
 * is spent waiting for children, so the pool runs one worker more than the 2 cores.
 *
 * A third project, `system`, is not part of `npm test` (package.json names the two above): the files
 * that drive software npm does not install, each a heavy process of its own: headless Chromium
 * (tfjs's WebGPU and WebGL backends, ONNX Runtime Web), PyTorch workers, and the packed package
 * installed into a fresh folder. They take about as much CPU as all of `npm test`. `npm run
 * test:system` runs them; .ci/run runs them after `npm test`, installing Chromium and PyTorch where
 * it can and printing why a group is skipped where it cannot.
 */
const SYSTEM = [
  'src/execute/browser/browserKernel.test.ts',
  'test/browser-*.test.ts',
  'test/export-torch.test.ts',
  'test/worker-python.test.ts',
  'test/pack/pack.test.ts',
];
const OWN_PROCESS = [
  'test/campaign-files.test.ts',
  'test/fuzz-campaign.test.ts',
  'test/fuzz-signals.test.ts',
  'test/orphan-guard.test.ts',
  'test/replay-timeout.test.ts',
];

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 3,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    globalSetup: ['fixtures/global-setup.ts'],
    setupFiles: ['fixtures/backend-setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          isolate: false,
          include: [
            'src/**/*.test.ts',
            'kernels/**/*.test.ts',
            'targets/**/*.test.ts',
            'properties/**/*.test.ts',
            'examples/**/*.test.ts',
            'test/**/*.test.ts',
            'mutation/**/*.test.ts',
          ],
          exclude: [...OWN_PROCESS, ...SYSTEM],
        },
      },
      { extends: true, test: { name: 'own-process', include: OWN_PROCESS } },
      { extends: true, test: { name: 'system', include: SYSTEM } },
    ],
  },
});
