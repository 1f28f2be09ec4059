/**
 * Which shard this process is, from `--shard i/n` or from the environment of the engine running
 * it, so a job array needs no script around attnfuzz:
 *
 *   --shard i/n                      0-based i, 0 <= i < n
 *   Kubernetes Indexed Job           JOB_COMPLETION_INDEX (set by Kubernetes) and the completion
 *                                    count, which Kubernetes does not export: set
 *                                    ATTNFUZZ_SHARD_COUNT to the Job's `completions`
 *   Slurm job array                  SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT (and
 *                                    SLURM_ARRAY_TASK_MIN / _STEP for arrays like --array=1-8)
 *
 * The flag wins over the environment; neither means the whole campaign (0/1).
 */
import { type Shard, WHOLE } from './stream.js';

export interface ShardChoice {
  readonly shard: Shard;
  /** Where it came from, for the start line. */
  readonly source: '--shard' | 'JOB_COMPLETION_INDEX' | 'SLURM_ARRAY_TASK_ID' | null;
}

/** A shard error names the flag or variable, the rule, and what it received. */
export class ShardError extends Error {}

function integer(name: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new ShardError(`${name}: must be a non-negative integer, got '${v}'`);
  return n;
}

function checked(where: string, index: number, count: number): Shard {
  if (count < 1) throw new ShardError(`${where}: the shard count must be at least 1, got ${count}`);
  if (index >= count)
    throw new ShardError(`${where}: shard index ${index} is not below the count ${count} (indices are 0-based)`);
  return { index, count };
}

/** `3/8` -> { index: 3, count: 8 }. */
export function parseShard(v: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v);
  if (!m) throw new ShardError(`--shard: expected i/n with 0 <= i < n (e.g. 0/4), got '${v}'`);
  return checked('--shard', Number(m[1]), Number(m[2]));
}

export function shardFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ShardChoice {
  if (flag !== undefined) return { shard: parseShard(flag), source: '--shard' };
  if (env.JOB_COMPLETION_INDEX !== undefined && env.JOB_COMPLETION_INDEX !== '') {
    const index = integer('JOB_COMPLETION_INDEX', env.JOB_COMPLETION_INDEX);
    if (env.ATTNFUZZ_SHARD_COUNT === undefined) {
      throw new ShardError(
        `JOB_COMPLETION_INDEX=${index} is set, but not the number of shards: set ATTNFUZZ_SHARD_COUNT to the ` +
          `Job's completions, or pass --shard ${index}/<completions>`,
      );
    }
    return {
      shard: checked('JOB_COMPLETION_INDEX', index, integer('ATTNFUZZ_SHARD_COUNT', env.ATTNFUZZ_SHARD_COUNT)),
      source: 'JOB_COMPLETION_INDEX',
    };
  }
  if (env.SLURM_ARRAY_TASK_ID !== undefined && env.SLURM_ARRAY_TASK_ID !== '') {
    const id = integer('SLURM_ARRAY_TASK_ID', env.SLURM_ARRAY_TASK_ID);
    const count = integer('SLURM_ARRAY_TASK_COUNT', env.SLURM_ARRAY_TASK_COUNT);
    const min = env.SLURM_ARRAY_TASK_MIN ? integer('SLURM_ARRAY_TASK_MIN', env.SLURM_ARRAY_TASK_MIN) : 0;
    const step = env.SLURM_ARRAY_TASK_STEP
      ? Math.max(1, integer('SLURM_ARRAY_TASK_STEP', env.SLURM_ARRAY_TASK_STEP))
      : 1;
    if (id < min || (id - min) % step !== 0)
      throw new ShardError(`SLURM_ARRAY_TASK_ID=${id} is not in the array (min ${min}, step ${step})`);
    return { shard: checked('SLURM_ARRAY_TASK_ID', (id - min) / step, count), source: 'SLURM_ARRAY_TASK_ID' };
  }
  return { shard: WHOLE, source: null };
}
