// The entry of the self-contained attnfuzz (scripts/standalone.mjs): one file that is the CLI in the
// main thread and a campaign worker in a worker thread or a forked worker process (spawn.ts starts
// this very file for both in the bundle).
import { isMainThread } from 'node:worker_threads';

const campaignChild = process.env.ATTNFUZZ_CAMPAIGN_PID !== undefined && typeof process.send === 'function';
if (isMainThread && !campaignChild) await import('../src/cli/main.ts');
else await import('../src/campaign/worker.ts');
