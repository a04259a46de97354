import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/*
 * Just enough Bicep reading for structural tests (no Bicep compiler can run here): declarations, decorators,
 * resource bodies and a few single-line expressions, taken from the text with comments and strings masked out.
 */

export const repoRoot = resolve(import.meta.dirname, '../..');
export const infraDir = join(repoRoot, 'infra');

export interface BicepFile {
  /** Path relative to the repository root, with forward slashes. */
  readonly path: string;
  readonly text: string;
}

export function readBicepFile(path: string): BicepFile {
  return { path, text: readFileSync(join(repoRoot, path), 'utf8') };
}

/** Every .bicep file under infra/, generated files excepted. */
export function infraBicepFiles(): BicepFile[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith('.bicep') ? [join(dir, entry.name)] : [],
    );
  return walk(infraDir)
    .map((file) => relative(repoRoot, file).split('\\').join('/'))
    .sort()
    .map(readBicepFile);
}

/** Resolves a path written in a Bicep file (module paths, load*Content) against that file's folder. */
export function resolveFrom(file: BicepFile, path: string): string {
  return join(dirname(join(repoRoot, file.path)), path);
}

/**
 * For each character, whether it is code: false inside `//` comments and inside string literals (quotes included),
 * so that braces, colons and keywords are only found where Bicep reads them.
 */
function codeMask(text: string): boolean[] {
  const mask: boolean[] = [];
  let state: 'code' | 'string' | 'comment' = 'code';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (state === 'code') {
      if (c === "'") state = 'string';
      else if (c === '/' && text[i + 1] === '/') state = 'comment';
      mask.push(state === 'code');
    } else if (state === 'string') {
      mask.push(false);
      if (c === '\\') {
        mask.push(false);
        i++;
      } else if (c === "'") state = 'code';
    } else if (c === '\n') {
      state = 'code';
      mask.push(true);
    } else {
      mask.push(false);
    }
  }
  return mask;
}

/** The text from `open` (a `{` or `[` in code) to its matching close, both included. */
function balanced(text: string, mask: readonly boolean[], open: number): string {
  const pairs: Record<string, string> = { '{': '}', '[': ']', '(': ')' };
  const stack: string[] = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i] ?? '';
    if (!mask[i]) continue;
    if (c in pairs) stack.push(pairs[c] ?? '');
    else if (c === stack[stack.length - 1]) {
      stack.pop();
      if (stack.length === 0) return text.slice(open, i + 1);
    }
  }
  throw new Error(`unbalanced brackets from offset ${open}`);
}

export interface Param {
  readonly name: string;
  /** The decorators written above it, e.g. `@description('…')`. */
  readonly decorators: readonly string[];
  /** The default value's text, or undefined when the parameter has none. */
  readonly defaultValue: string | undefined;
}

/** Top-level `param` declarations with their decorators. */
export function params(file: BicepFile): Param[] {
  const { text } = file;
  const mask = codeMask(text);
  const result: Param[] = [];
  let decorators: string[] = [];
  for (let offset = 0; offset < text.length; ) {
    const line = text.slice(offset, lineEnd(text, offset));
    if (line.startsWith('@')) {
      const open = text.indexOf('(', offset);
      const decorator = text.slice(offset, open) + balanced(text, mask, open);
      decorators.push(decorator);
      offset = lineEnd(text, offset + decorator.length) + 1;
      continue;
    }
    const declaration = /^param\s+(\w+)\s+\w+(?:\s*=\s*(.+))?$/.exec(line);
    if (declaration) {
      const [, name = '', defaultValue] = declaration;
      result.push({ name, decorators, defaultValue });
    }
    // Decorators belong to the declaration right below them.
    if (line.trim() !== '' && !line.startsWith('//')) decorators = [];
    offset += line.length + 1;
  }
  return result;
}

export interface Module {
  readonly symbol: string;
  readonly path: string;
  /** The `{ … }` body (the loop body for `[for …: { … }]`). */
  readonly body: string;
}

/** Top-level `module` declarations. */
export function modules(file: BicepFile): Module[] {
  return declarations(file, /^module\s+(\w+)\s+'([^']+)'()\s*=/gm).map(({ symbol, quoted, body }) => ({ symbol, path: quoted, body }));
}

export interface LoadCall {
  readonly fn: 'loadJsonContent' | 'loadTextContent';
  readonly path: string;
}

export function loadCalls(file: BicepFile): LoadCall[] {
  return [...file.text.matchAll(/(loadJsonContent|loadTextContent)\('([^']+)'\)/g)].map((m) => ({
    fn: m[1] as LoadCall['fn'],
    path: m[2] ?? '',
  }));
}

export interface Resource {
  readonly symbol: string;
  readonly type: string;
  readonly existing: boolean;
  /** The `{ … }` body (the loop body for `[for …: { … }]`). */
  readonly body: string;
}

/** `resource` declarations at any depth; nested child resources (`'config'`) keep their short type. */
export function resources(file: BicepFile): Resource[] {
  return declarations(file, /^\s*resource\s+(\w+)\s+'([^'@]+)(?:@[^']+)?'(\s+existing)?\s*=/gm).map(({ symbol, quoted, flag, body }) => ({
    symbol,
    type: quoted,
    existing: flag,
    body,
  }));
}

/** Matches of a declaration pattern (symbol, quoted text, optional flag group) with the body that follows. */
function declarations(file: BicepFile, pattern: RegExp): { symbol: string; quoted: string; flag: boolean; body: string }[] {
  const { text } = file;
  const mask = codeMask(text);
  return [...text.matchAll(pattern)].map((m) => {
    let open = (m.index ?? 0) + m[0].length;
    while (open < text.length && !(mask[open] && text[open] === '{')) open++;
    return { symbol: m[1] ?? '', quoted: m[2] ?? '', flag: (m[3] ?? '') !== '', body: balanced(text, mask, open) };
  });
}

/** Whether offset `i` of `text` starts a line, after indentation. */
function startsLine(text: string, i: number): boolean {
  return /^[ \t]*$/.test(text.slice(text.lastIndexOf('\n', i - 1) + 1, i));
}

/** The value text of a top-level property of an object body (`name: value` starting its own line). */
export function property(body: string, name: string): string | undefined {
  const mask = codeMask(body);
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    if (!mask[i]) continue;
    const c = body[i];
    if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
    else if (depth === 1 && startsLine(body, i) && body.startsWith(`${name}:`, i)) {
      let start = i + name.length + 1;
      while (body[start] === ' ') start++;
      return valueText(body, mask, start);
    }
  }
  return undefined;
}

/** A value from `start` to the end of its line, or on to where the brackets it opens close. */
function valueText(text: string, mask: readonly boolean[], start: number): string {
  let depth = 0;
  let end = start;
  for (; end < text.length; end++) {
    if (!mask[end]) continue;
    const c = text[end];
    if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
    else if (c === '\n' && depth === 0) break;
  }
  return text.slice(start, end).trim();
}

function lineEnd(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  return end === -1 ? text.length : end;
}

/** The property names of an object literal's top level, in order. */
export function objectKeys(objectText: string): string[] {
  const mask = codeMask(objectText);
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < objectText.length; i++) {
    if (!mask[i]) continue;
    const c = objectText[i];
    if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
    else if (depth === 1 && startsLine(objectText, i)) {
      const key = /^(\w+|'[^']+'):/.exec(objectText.slice(i));
      if (key?.[1]) keys.push(key[1].replace(/^'|'$/g, ''));
    }
  }
  return keys;
}

/** `var name = <expression>` declarations written on one line. */
function singleLineVars(file: BicepFile): Map<string, string> {
  return new Map([...file.text.matchAll(/^var\s+(\w+)\s*=\s*(.+)$/gm)].map((m) => [m[1] ?? '', (m[2] ?? '').trim()]));
}

export function targetScope(file: BicepFile): string {
  return /^targetScope\s*=\s*'(\w+)'/m.exec(file.text)?.[1] ?? 'resourceGroup';
}

/** What an interpolated Bicep expression (`${…}`) stands for when a test evaluates a string: a whole number. */
export const interpolationStandIn = '42';

/**
 * Evaluates the string expressions the alert rules are built from: string literals, `loadTextContent('…')`,
 * `replace(text, 'search', 'replacement')` and references to single-line `var`s. Interpolations become
 * `interpolationStandIn`. A `replace` whose search text does not occur exactly once is an error: it would
 * silently leave the file's text unchanged, or change more than the one `let` line it targets.
 */
export function evaluateStringExpression(file: BicepFile, expression: string): string {
  const vars = singleLineVars(file);
  const source = expression;
  let position = 0;

  const skipSpaces = () => {
    while (/\s/.test(source[position] ?? '')) position++;
  };
  const expect = (c: string) => {
    skipSpaces();
    if (source[position] !== c) throw new Error(`expected '${c}' at ${position} in ${source}`);
    position++;
  };
  const evaluate = (): string => {
    skipSpaces();
    if (source[position] === "'") {
      let value = '';
      position++;
      while (source[position] !== "'") {
        if (position >= source.length) throw new Error(`unterminated string in ${source}`);
        if (source[position] === '\\') {
          value += source[position + 1] ?? '';
          position += 2;
        } else if (source.startsWith('${', position)) {
          position = source.indexOf('}', position) + 1;
          value += interpolationStandIn;
        } else {
          value += source[position++] ?? '';
        }
      }
      position++;
      return value;
    }
    const name = /^\w+/.exec(source.slice(position))?.[0];
    if (name === undefined) throw new Error(`unexpected '${source.slice(position)}' in ${source}`);
    position += name.length;
    skipSpaces();
    if (source[position] !== '(') {
      const value = vars.get(name);
      if (value === undefined) throw new Error(`${name} is not a single-line var of ${file.path}`);
      return evaluateStringExpression(file, value);
    }
    position++;
    const args: string[] = [evaluate()];
    skipSpaces();
    while (source[position] === ',') {
      position++;
      args.push(evaluate());
      skipSpaces();
    }
    expect(')');
    if (name === 'loadTextContent' && args.length === 1) return readFileSync(resolveFrom(file, args[0] ?? ''), 'utf8');
    if (name === 'replace' && args.length === 3) {
      const [text = '', search = '', replacement = ''] = args;
      const occurrences = text.split(search).length - 1;
      if (occurrences !== 1) throw new Error(`replace(): '${search}' occurs ${occurrences} times, expected once`);
      return text.replace(search, () => replacement);
    }
    throw new Error(`unsupported function ${name}/${args.length} in ${source}`);
  };

  const value = evaluate();
  skipSpaces();
  if (position !== source.length) throw new Error(`trailing text '${source.slice(position)}' in ${source}`);
  return value;
}
