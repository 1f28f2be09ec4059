/**
 * A worker's command line ('exec:<command line>') as the argv it starts: words split at unquoted
 * whitespace, 'single' and "double" quotes grouping, backslash escaping the next character (not
 * inside single quotes). No shell runs it: no pipes, globs, variables or `VAR=x` prefixes.
 *
 *   splitCommandLine(`node my worker.mjs`)          -> ['node', 'my', 'worker.mjs']
 *   splitCommandLine(`node "my worker.mjs" --x 'a b'`) -> ['node', 'my worker.mjs', '--x', 'a b']
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (c === '\\' && i + 1 < line.length && (quote === null || '"\\$`'.includes(line[i + 1]!))) {
      word = (word ?? '') + line[++i];
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote !== null) throw new Error(`exec: unterminated ${quote} quote in ${JSON.stringify(line)}`);
  if (word !== null) words.push(word);
  return words;
}
