import { describe, expect, it } from 'vitest';
import { splitCommandLine } from './commandLine.js';

describe('splitCommandLine', () => {
  it('splits at unquoted whitespace, groups quotes, honours backslashes', () => {
    expect(splitCommandLine('node examples/workers/correct.mjs')).toEqual(['node', 'examples/workers/correct.mjs']);
    expect(splitCommandLine(`  python3 "my worker.py"  --x 'a b' c\\ d ""`)).toEqual([
      'python3',
      'my worker.py',
      '--x',
      'a b',
      'c d',
      '',
    ]);
    expect(splitCommandLine(`echo "a \\"q\\" \\n" 'x\\y'`)).toEqual(['echo', 'a "q" \\n', 'x\\y']);
  });

  it('an unterminated quote is an error naming the line', () => {
    expect(() => splitCommandLine(`node 'oops`)).toThrow(`exec: unterminated ' quote in "node 'oops"`);
  });
});
