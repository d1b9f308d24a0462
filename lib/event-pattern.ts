import { BlockList, isIP } from 'node:net';

/**
 * EventBridge event patterns: the checks EventBridge makes of a pattern's syntax, and matching
 * with EventBridge's documented semantics, for the rules this project creates from configuration
 * (checked at synth) and for the local bus stand-in (`local/eventbridge.ts`), which matches with
 * this same function. No well-kept npm library does this (AWS's own matcher, Event Ruler, is
 * Java), so it is written here and tested against the behaviours AWS documents
 * (`test/unit/lib/event-pattern.test.ts`). No AWS client and no CDK here: the local runner loads it.
 *
 * Semantics (as EventBridge documents them):
 * - A pattern is an object; every field it names must be in the event, at the same nesting.
 *   Fields are ANDed; the values listed for a field are ORed; `$or` ORs whole sub-patterns.
 * - A field's list holds exact values (string, number, boolean, null: `[null]` matches null,
 *   not a missing field; `[""]` matches the empty string, not null) and filters: `prefix`,
 *   `suffix` (both also `{equals-ignore-case}`), `equals-ignore-case`, `wildcard`, `anything-but`
 *   (a value, a list, or `prefix`/`suffix`/`equals-ignore-case`/`wildcard`), `numeric` (a range,
 *   on JSON numbers only), `exists` and `cidr`.
 * - Only leaf values match a list: a field holding an object matches none of its filters, and
 *   for `exists` it does not exist. An array in the event matches when any of its elements does;
 *   an array of objects is matched element-wise per field, as EventBridge flattens events into
 *   paths (two fields need not match in the same element).
 * - A missing field matches only `{"exists": false}`.
 */

export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** EventBridge's limit on a rule's pattern, as JSON text. */
export const MAX_PATTERN_LENGTH = 4096;

/** Numeric filters take numbers within these bounds, as EventBridge documents. */
const NUMERIC_LIMIT = 5e9;

const LOWER = new Set(['>', '>=']);
const UPPER = new Set(['<', '<=']);

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is string | number | boolean | null {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

const shownValue = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

// --- Syntax ---------------------------------------------------------------------------------

/** `{"equals-ignore-case": "x"}` inside `prefix`/`suffix`, or a plain string. */
function checkAffix(name: string, operand: unknown, where: string, problems: string[]): void {
  if (typeof operand === 'string') return;
  if (isObject(operand) && Object.keys(operand).length === 1 && typeof operand['equals-ignore-case'] === 'string')
    return;
  problems.push(`${where}: "${name}" takes a string or {"equals-ignore-case": string}, got ${shownValue(operand)}`);
}

function checkWildcard(operand: unknown, where: string, problems: string[]): void {
  if (typeof operand !== 'string') {
    problems.push(`${where}: "wildcard" takes a string, got ${shownValue(operand)}`);
    return;
  }
  if (/(?<!\\)\*\*/.test(operand.replace(/\\\\/g, '')))
    problems.push(`${where}: "wildcard" may not hold consecutive "*", got ${shownValue(operand)}`);
}

function checkNumeric(operand: unknown, where: string, problems: string[]): void {
  const bad = (why: string): void => {
    problems.push(`${where}: "numeric" ${why}, e.g. [">", 0, "<=", 5] or ["=", 3]; got ${shownValue(operand)}`);
  };
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4))
    return bad('takes one or two [operator, number] pairs');
  const pairs: [unknown, unknown][] = [];
  for (let i = 0; i < operand.length; i += 2) pairs.push([operand[i], operand[i + 1]]);
  for (const [op, n] of pairs) {
    if (typeof op !== 'string' || !['<', '<=', '=', '>', '>='].includes(op))
      return bad(`has an unknown operator ${shownValue(op)}`);
    if (typeof n !== 'number' || !Number.isFinite(n) || Math.abs(n) > NUMERIC_LIMIT)
      return bad(`compares with numbers from -5e9 to 5e9, got ${shownValue(n)}`);
  }
  if (pairs.length === 2) {
    const [[op1, n1], [op2, n2]] = pairs as [[string, number], [string, number]];
    if (!LOWER.has(op1) || !UPPER.has(op2))
      return bad('with two pairs needs a lower bound (> or >=) then an upper one');
    if (n1 >= n2) return bad('needs its lower bound below its upper bound');
  }
}

function checkAnythingBut(operand: unknown, where: string, problems: string[]): void {
  const bad = (): void => {
    problems.push(
      `${where}: "anything-but" takes a string, a number, a list of strings or of numbers, or one of ` +
        `{"prefix"}, {"suffix"}, {"equals-ignore-case"}, {"wildcard"}; got ${shownValue(operand)}`,
    );
  };
  if (typeof operand === 'string' || (typeof operand === 'number' && Number.isFinite(operand))) return;
  if (Array.isArray(operand)) {
    const list = operand as unknown[];
    const allStrings = list.every((v) => typeof v === 'string');
    const allNumbers = list.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (list.length === 0 || (!allStrings && !allNumbers)) bad();
    return;
  }
  if (!isObject(operand) || Object.keys(operand).length !== 1) return bad();
  const [name, inner] = Object.entries(operand)[0] as [string, unknown];
  if (name === 'prefix' || name === 'suffix') {
    if (typeof inner !== 'string') bad();
  } else if (name === 'equals-ignore-case') {
    const list = Array.isArray(inner) ? (inner as unknown[]) : [inner];
    if (list.length === 0 || !list.every((v) => typeof v === 'string')) bad();
  } else if (name === 'wildcard') {
    const list = Array.isArray(inner) ? (inner as unknown[]) : [inner];
    if (list.length === 0) bad();
    for (const w of list) checkWildcard(w, where, problems);
  } else bad();
}

function checkCidr(operand: unknown, where: string, problems: string[]): void {
  if (typeof operand === 'string' && parseCidr(operand) !== undefined) return;
  problems.push(`${where}: "cidr" takes an IPv4 or IPv6 block like "10.0.0.0/24", got ${shownValue(operand)}`);
}

const FILTERS: Readonly<Record<string, (operand: unknown, where: string, problems: string[]) => void>> = {
  prefix: (operand, where, problems) => checkAffix('prefix', operand, where, problems),
  suffix: (operand, where, problems) => checkAffix('suffix', operand, where, problems),
  'equals-ignore-case': (operand, where, problems) => {
    if (typeof operand !== 'string')
      problems.push(`${where}: "equals-ignore-case" takes a string, got ${shownValue(operand)}`);
  },
  wildcard: checkWildcard,
  'anything-but': checkAnythingBut,
  numeric: checkNumeric,
  exists: (operand, where, problems) => {
    if (typeof operand !== 'boolean')
      problems.push(`${where}: "exists" takes true or false, got ${shownValue(operand)}`);
  },
  cidr: checkCidr,
};

function checkMatchers(list: readonly unknown[], where: string, problems: string[]): void {
  if (list.length === 0) problems.push(`${where}: an empty list matches nothing; list at least one value`);
  for (const [i, matcher] of list.entries()) {
    const at = `${where}[${i}]`;
    if (isScalar(matcher)) continue;
    if (!isObject(matcher) || Object.keys(matcher).length !== 1) {
      problems.push(
        `${at}: a list holds values (string, number, boolean, null) or one filter like {"prefix": "x"}, got ${shownValue(matcher)}`,
      );
      continue;
    }
    const [name, operand] = Object.entries(matcher)[0] as [string, unknown];
    const check = Object.hasOwn(FILTERS, name) ? FILTERS[name] : undefined;
    if (check) check(operand, at, problems);
    else problems.push(`${at}: unknown filter "${name}"; EventBridge knows ${Object.keys(FILTERS).join(', ')}`);
  }
}

function checkObject(pattern: Readonly<Record<string, unknown>>, where: string, problems: string[]): void {
  if (Object.keys(pattern).length === 0) problems.push(`${where}: an empty object; name at least one field`);
  for (const [key, value] of Object.entries(pattern)) {
    const at = where === '' ? key : `${where}.${key}`;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) {
        problems.push(`${at}: "$or" takes a list of at least two sub-patterns (objects), got ${shownValue(value)}`);
        continue;
      }
      for (const [i, alternative] of (value as Readonly<Record<string, unknown>>[]).entries())
        checkObject(alternative, `${at}[${i}]`, problems);
    } else if (Array.isArray(value)) checkMatchers(value as unknown[], at, problems);
    else if (isObject(value)) checkObject(value, at, problems);
    else
      problems.push(
        `${at}: values must be in a list (${JSON.stringify(key)}: [${shownValue(value)}]) or a nested object, got ${shownValue(value)}`,
      );
  }
}

/**
 * Everything EventBridge would refuse in `pattern`, one line each with the path of the mistake
 * (`detail.status[0]: ...`); empty when it is a valid pattern.
 */
export function eventPatternProblems(pattern: unknown): string[] {
  if (!isObject(pattern)) return [`a pattern is a JSON object, got ${shownValue(pattern)}`];
  const problems: string[] = [];
  const length = JSON.stringify(pattern).length;
  if (length > MAX_PATTERN_LENGTH)
    problems.push(`is ${length} characters as JSON; EventBridge takes at most ${MAX_PATTERN_LENGTH}`);
  checkObject(pattern, '', problems);
  return problems;
}

// --- Matching -------------------------------------------------------------------------------

function parseCidr(text: string): { list: BlockList } | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!match) return undefined;
  const [, address = '', bits = ''] = match;
  const family = isIP(address);
  const prefix = Number(bits);
  if (family === 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
  const list = new BlockList();
  list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return { list };
}

/** `*` matches any run of characters; `\*` and `\\` stand for themselves. */
function wildcardRegExp(wildcard: string, flags = ''): RegExp {
  let source = '';
  for (let i = 0; i < wildcard.length; i++) {
    const c = wildcard[i] as string;
    if (c === '\\' && (wildcard[i + 1] === '*' || wildcard[i + 1] === '\\')) {
      source += `\\${wildcard[++i] as string}`;
    } else if (c === '*') source += '.*';
    else source += c.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, `s${flags}`);
}

const lower = (s: string) => s.toLowerCase();

function affixMatches(operand: unknown, value: string, test: (value: string, affix: string) => boolean): boolean {
  if (typeof operand === 'string') return test(value, operand);
  const ignoreCase = isObject(operand) ? operand['equals-ignore-case'] : undefined;
  return typeof ignoreCase === 'string' && test(lower(value), lower(ignoreCase));
}

function numericMatches(operand: readonly unknown[], value: number): boolean {
  for (let i = 0; i < operand.length; i += 2) {
    const op = operand[i];
    const n = operand[i + 1] as number;
    const ok =
      op === '<'
        ? value < n
        : op === '<='
          ? value <= n
          : op === '='
            ? value === n
            : op === '>'
              ? value > n
              : value >= n;
    if (!ok) return false;
  }
  return true;
}

function anythingButMatches(operand: unknown, value: unknown): boolean {
  if (typeof value !== 'string' && typeof value !== 'number') return false;
  if (Array.isArray(operand)) return !(operand as unknown[]).includes(value);
  if (!isObject(operand)) return operand !== value;
  if (typeof value !== 'string') return false;
  const [name, inner] = (Object.entries(operand)[0] ?? []) as [string, unknown];
  const list = (Array.isArray(inner) ? inner : [inner]) as string[];
  if (name === 'prefix') return !value.startsWith(String(inner));
  if (name === 'suffix') return !value.endsWith(String(inner));
  if (name === 'equals-ignore-case') return !list.some((s) => lower(s) === lower(value));
  if (name === 'wildcard') return !list.some((w) => wildcardRegExp(w).test(value));
  return false;
}

/** Whether one list entry (a value or a filter other than `exists`) matches one leaf value. */
function matcherMatches(matcher: unknown, value: unknown): boolean {
  if (isScalar(matcher)) return matcher === value;
  if (!isObject(matcher)) return false;
  const [name, operand] = (Object.entries(matcher)[0] ?? []) as [string, unknown];
  switch (name) {
    case 'prefix':
      return typeof value === 'string' && affixMatches(operand, value, (v, a) => v.startsWith(a));
    case 'suffix':
      return typeof value === 'string' && affixMatches(operand, value, (v, a) => v.endsWith(a));
    case 'equals-ignore-case':
      return typeof value === 'string' && typeof operand === 'string' && lower(value) === lower(operand);
    case 'wildcard':
      return typeof value === 'string' && typeof operand === 'string' && wildcardRegExp(operand).test(value);
    case 'anything-but':
      return anythingButMatches(operand, value);
    case 'numeric':
      return typeof value === 'number' && Array.isArray(operand) && numericMatches(operand, value);
    case 'cidr': {
      if (typeof value !== 'string' || typeof operand !== 'string') return false;
      const family = isIP(value);
      const block = parseCidr(operand);
      return family !== 0 && block !== undefined && block.list.check(value, family === 4 ? 'ipv4' : 'ipv6');
    }
    default:
      return false;
  }
}

/** The values at `key` of every node, arrays flattened (EventBridge's paths see through arrays). */
function childrenOf(nodes: readonly unknown[], key: string): unknown[] {
  const flatten = (value: unknown): unknown[] => (Array.isArray(value) ? value.flatMap(flatten) : [value]);
  return nodes.flatMap((node) => (isObject(node) && Object.hasOwn(node, key) ? flatten(node[key]) : []));
}

function listMatches(list: readonly unknown[], children: readonly unknown[]): boolean {
  const leaves = children.filter((c) => !isObject(c));
  return list.some((matcher) => {
    if (isObject(matcher) && Object.hasOwn(matcher, 'exists')) return matcher['exists'] === leaves.length > 0;
    return leaves.some((leaf) => matcherMatches(matcher, leaf));
  });
}

function objectMatches(pattern: Readonly<Record<string, unknown>>, nodes: readonly unknown[]): boolean {
  return Object.entries(pattern).every(([key, value]) => {
    if (key === '$or')
      return (value as readonly Readonly<Record<string, unknown>>[]).some((alt) => objectMatches(alt, nodes));
    const children = childrenOf(nodes, key);
    if (Array.isArray(value)) return listMatches(value as unknown[], children);
    return objectMatches(
      value as Readonly<Record<string, unknown>>,
      children.filter((c) => isObject(c)),
    );
  });
}

/**
 * Whether `event` matches `pattern`, with EventBridge's semantics (above). `pattern` must be
 * valid (see {@link eventPatternProblems}); an invalid one matches nothing it cannot read.
 */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  return isObject(pattern) && objectMatches(pattern, [event]);
}
