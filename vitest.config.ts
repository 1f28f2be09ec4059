import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'src/**/*.test.ts',
      'kernels/**/*.test.ts',
      'targets/**/*.test.ts',
      'properties/**/*.test.ts',
      'examples/**/*.test.ts',
      'test/**/*.test.ts',
      'mutation/**/*.test.ts',
    ],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    globalSetup: ['properties/support/global-setup.ts'],
    setupFiles: ['properties/support/backend-setup.ts'],
  },
});
