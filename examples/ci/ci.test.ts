/**
 * The CI examples stay true: each file parses (YAML), has the shape its runner needs (a shard
 * matrix and a merge job; an Indexed Job with one GPU per pod and the shard count), and every
 * `attnfuzz` command in it exists with those flags and values, checked by the CLI's own commander
 * program (nothing is run).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseShard } from '../../src/campaign/index.js';
import { cliProgram } from '../../src/cli/main.js';

const here = import.meta.dirname;
const yaml = (name: string) => parse(readFileSync(join(here, name), 'utf8')) as Record<string, unknown>;

/** The `npx attnfuzz ...` commands of a shell line, with CI placeholders given example values. */
function commandsIn(script: string): string[][] {
  return script
    .replace(/\$\{\{\s*matrix\.shard\s*\}\}/g, '1')
    .replace(/\$\{\{\s*github\.run_id\s*\}\}/g, '123456')
    .replace(/\$\{?(JOB_COMPLETION_INDEX|SCRATCH)\}?/g, '1')
    .split(/\|\||&&|;|\n/)
    .map((part) => part.trim().split(/\s+/))
    .filter((words) => words[0] === 'npx' && words[1] === 'attnfuzz')
    .map((words) => words.slice(2));
}

/** Parses one command with the real program: unknown commands, flags or values throw. */
function check(argv: string[]): void {
  const silent = { out: () => {}, err: () => {}, errIsTTY: false };
  let cmd: Command = cliProgram(silent, () => {});
  let rest = argv;
  while (rest.length > 0 && cmd.commands.length > 0) {
    const sub = cmd.commands.find((c) => c.name() === rest[0]);
    if (!sub) throw new Error(`attnfuzz ${argv.join(' ')}: no command '${rest[0]}'`);
    [cmd, rest] = [sub, rest.slice(1)];
  }
  const { unknown } = cmd.parseOptions(rest);
  expect(unknown, `attnfuzz ${argv.join(' ')}: unknown flags`).toEqual([]);
  for (const o of cmd.options.filter((x) => x.mandatory))
    expect(cmd.getOptionValue(o.attributeName()), `attnfuzz ${argv.join(' ')}: ${o.long}`).toBeDefined();
  const shard = cmd.getOptionValue('shard') as string | undefined;
  if (shard !== undefined) parseShard(shard);
}

describe('examples/ci', () => {
  it(
    'github-actions.yml: a matrix of shards, then a merge job that uploads the report; every attnfuzz ' +
      'command exists with its flags',
    () => {
      const wf = yaml('github-actions.yml') as {
        jobs: Record<
          string,
          { needs?: string; strategy?: { matrix: { shard: number[] } }; steps: Array<{ run?: string; uses?: string }> }
        >;
      };
      expect(wf.jobs.fuzz!.strategy!.matrix.shard).toEqual([0, 1, 2, 3]);
      expect(wf.jobs.merge!.needs).toBe('fuzz');
      expect(wf.jobs.merge!.steps.some((s) => s.uses?.startsWith('actions/upload-artifact'))).toBe(true);
      const commands = Object.values(wf.jobs).flatMap((j) => j.steps.flatMap((s) => (s.run ? commandsIn(s.run) : [])));
      expect(commands.map((c) => c.slice(0, 2).join(' '))).toEqual(['fuzz --shard', 'corpus merge', 'corpus list']);
      for (const c of commands) check(c);
      expect(commands[0]).toContain('1/4');
    },
  );

  it(
    'kubernetes-job.yaml: an Indexed Job, one GPU per pod, the shard count set to the completions; its ' +
      'attnfuzz command exists with its flags',
    () => {
      const job = yaml('kubernetes-job.yaml') as {
        kind: string;
        spec: {
          completionMode: string;
          completions: number;
          template: {
            spec: {
              containers: Array<{
                args: string[];
                env: Array<{ name: string; value: string }>;
                resources: { limits: Record<string, unknown> };
              }>;
            };
          };
        };
      };
      expect(job.kind).toBe('Job');
      expect(job.spec.completionMode).toBe('Indexed');
      const [c] = job.spec.template.spec.containers;
      expect(c!.resources.limits['nvidia.com/gpu']).toBe(1);
      expect(c!.env.find((e) => e.name === 'ATTNFUZZ_SHARD_COUNT')?.value).toBe(String(job.spec.completions));
      const commands = c!.args.flatMap(commandsIn);
      expect(commands).toHaveLength(1);
      expect(commands[0]).toEqual(expect.arrayContaining(['fuzz', '--backend', 'tensorflow']));
      check(commands[0]!);
    },
  );

  it('a command that is not right is caught: an unknown flag, a bad value, a missing mandatory flag', () => {
    expect(() => check(['fuzz', '--shards', '1/4'])).toThrow(/unknown flags/);
    expect(() => check(['fuzz', '--time', 'soon'])).toThrow(/must be a positive duration/);
    expect(() => check(['fuzz', '--shard', '4/4'])).toThrow(/shard index 4 is not below the count 4/);
    expect(() => check(['corpus', 'merge', 'a'])).toThrow(/--into/);
    expect(() => check(['fuzzz'])).toThrow(/no command 'fuzzz'|unknown/);
  });
});
