import type { QueryContext } from './context.js';
import { unsupported } from './errors.js';
import type { TabularOperator } from './operators.js';
import { child, listItems, nameOf, type SyntaxNode } from './syntax.js';
import { findColumn, readColumn, type Row, type Table } from './table.js';
import { valuesKey } from './values.js';

const joinKinds = [
  'innerunique',
  'inner',
  'leftouter',
  'rightouter',
  'fullouter',
  'leftsemi',
  'leftanti',
  'rightsemi',
  'rightanti',
] as const;
type JoinKind = (typeof joinKinds)[number];

/** Other names the join docs give some kinds. */
const joinKindAliases = new Map<string, JoinKind>([
  ['anti', 'leftanti'],
  ['leftantisemi', 'leftanti'],
  ['rightantisemi', 'rightanti'],
]);

/** The operator's `kind=` parameter, the first of `kinds` (its default) when absent. */
function kindOf(operator: SyntaxNode, operatorName: string, kinds: readonly [JoinKind, ...JoinKind[]]): JoinKind {
  let kind = kinds[0];
  for (const parameter of listItems(operator, 'Parameters')) {
    if (nameOf(child(parameter, 'Name')) !== 'kind') throw unsupported(`${operatorName}: parameter '${parameter.text}' is not supported`);
    const value = child(parameter, 'Expression').text;
    const supported = kinds.find((k) => k === value) ?? joinKindAliases.get(value);
    if (supported === undefined || !kinds.includes(supported)) {
      throw unsupported(`${operatorName} kind=${value} is not supported (supported: ${kinds.join(', ')})`);
    }
    kind = supported;
  }
  return kind;
}

interface KeyPair {
  readonly left: string;
  readonly right: string;
}

/** The key pairs of an `on` clause. */
function onClause(clause: SyntaxNode, operatorName: string): KeyPair[] {
  if (clause.kind !== 'JoinOnClause') throw unsupported(`${operatorName}: '${clause.text}' is not supported (use 'on ...')`);
  return listItems(clause, 'Expressions').flatMap((condition) => keyPairs(condition, operatorName));
}

/** `on a`, `on $left.a == $right.b`, several of them joined by `,` or `and`. */
function keyPairs(condition: SyntaxNode, operatorName: string): KeyPair[] {
  switch (condition.kind) {
    case 'NameReference':
      return [{ left: nameOf(condition), right: nameOf(condition) }];
    case 'AndExpression':
      return [...keyPairs(child(condition, 'Left'), operatorName), ...keyPairs(child(condition, 'Right'), operatorName)];
    case 'EqualExpression': {
      const a = sideColumn(child(condition, 'Left'));
      const b = sideColumn(child(condition, 'Right'));
      if (a?.side === '$left' && b?.side === '$right') return [{ left: a.column, right: b.column }];
      if (a?.side === '$right' && b?.side === '$left') return [{ left: b.column, right: a.column }];
    }
  }
  throw unsupported(`${operatorName}: condition '${condition.text}' is not supported (use 'on column' or 'on $left.a == $right.b')`);
}

function sideColumn(node: SyntaxNode): { side: string; column: string } | undefined {
  if (node.kind !== 'PathExpression') return undefined;
  const side = child(node, 'Expression');
  const column = child(node, 'Selector');
  if (side.kind !== 'NameReference' || column.kind !== 'NameReference') return undefined;
  return { side: nameOf(side), column: nameOf(column) };
}

/** KQL keeps both sides' columns; a right column whose name is taken gets a number: `id` → `id1`. */
function rightColumnNames(left: readonly string[], right: readonly string[]): string[] {
  const taken = new Set(left);
  return right.map((name) => {
    let unique = name;
    for (let n = 1; taken.has(unique); n++) unique = `${name}${n}`;
    taken.add(unique);
    return unique;
  });
}

/** Positions of the key columns; undefined for a column an open schema does not list (it reads null). */
type KeyColumns = readonly (number | undefined)[];

/**
 * A hash key for a row's join columns, or undefined when one is null: like `==`, null matches nothing.
 * Keys match by type, so a datetime key does not match an ISO string (Kusto requires the key types to agree).
 */
function joinKey(row: Row, columns: KeyColumns): string | undefined {
  const values = columns.map((c) => readColumn(row, c));
  return values.includes(null) ? undefined : valuesKey(values);
}

export const join: TabularOperator = (left, operator, context: QueryContext) => {
  const kind = kindOf(operator, 'join', joinKinds);
  const pairs = onClause(child(operator, 'ConditionClause'), 'join');
  const right = context.evaluateTabular(child(operator, 'Expression'));
  return joinTables(left, right, pairs.map((p) => findColumn(left, p.left)), pairs.map((p) => findColumn(right, p.right)), kind);
};

/**
 * `lookup`: a leftouter (default) or inner join that does not repeat the right side's key columns
 * (per the lookup docs).
 */
export const lookup: TabularOperator = (left, operator, context: QueryContext) => {
  const kind = kindOf(operator, 'lookup', ['leftouter', 'inner']);
  const pairs = onClause(child(operator, 'LookupClause'), 'lookup');
  const right = context.evaluateTabular(child(operator, 'Expression'));
  const rightKeys = pairs.map((p) => findColumn(right, p.right));
  const joined = joinTables(left, right, pairs.map((p) => findColumn(left, p.left)), rightKeys, kind);
  const dropped = new Set(rightKeys.flatMap((i) => (i === undefined ? [] : [left.columns.length + i])));
  const kept = [...joined.columns.keys()].filter((i) => !dropped.has(i));
  return {
    ...joined,
    columns: kept.map((i) => joined.columns[i] ?? ''),
    rows: joined.rows.map((row) => kept.map((i) => row[i] ?? null)),
  };
};

/**
 * Output per the join docs. Semi and anti joins return one side's rows and columns as they are; the other kinds
 * return the left columns, then the right ones (renamed where taken), in left-row order (each left row's matches
 * in right order), followed, for rightouter and fullouter, by the right rows that matched nothing.
 * The docs leave the order unspecified; this one is deterministic for tests.
 */
function joinTables(left: Table, right: Table, leftKeys: KeyColumns, rightKeys: KeyColumns, kind: JoinKind): Table {
  const rightRowsByKey = new Map<string, Row[]>();
  for (const row of right.rows) {
    const key = joinKey(row, rightKeys);
    if (key === undefined) continue;
    const bucket = rightRowsByKey.get(key);
    if (bucket === undefined) rightRowsByKey.set(key, [row]);
    else bucket.push(row);
  }

  const leftKeySet = new Set(left.rows.flatMap((row) => joinKey(row, leftKeys) ?? []));
  const rightMatches = (row: Row): boolean => {
    const key = joinKey(row, rightKeys);
    return key !== undefined && leftKeySet.has(key);
  };
  const leftMatches = (row: Row): boolean => {
    const key = joinKey(row, leftKeys);
    return key !== undefined && rightRowsByKey.has(key);
  };
  switch (kind) {
    case 'leftsemi':
    case 'leftanti':
      return { ...left, serialized: false, rows: left.rows.filter((row) => leftMatches(row) === (kind === 'leftsemi')) };
    case 'rightsemi':
    case 'rightanti':
      return { ...right, serialized: false, rows: right.rows.filter((row) => rightMatches(row) === (kind === 'rightsemi')) };
  }

  const unmatchedLeft: Row = left.columns.map(() => null);
  const unmatchedRight: Row = right.columns.map(() => null);
  const keepsUnmatchedLeft = kind === 'leftouter' || kind === 'fullouter';
  const seenLeftKeys = new Set<string>();
  const rows = left.rows.flatMap((row): Row[] => {
    const key = joinKey(row, leftKeys);
    // innerunique: only the first left row of each key takes part (per the KQL docs, which one is unspecified).
    if (kind === 'innerunique') {
      if (key === undefined || seenLeftKeys.has(key)) return [];
      seenLeftKeys.add(key);
    }
    const matches = key === undefined ? [] : (rightRowsByKey.get(key) ?? []);
    if (matches.length === 0) return keepsUnmatchedLeft ? [[...row, ...unmatchedRight]] : [];
    return matches.map((match) => [...row, ...match]);
  });
  if (kind === 'rightouter' || kind === 'fullouter') {
    for (const row of right.rows) if (!rightMatches(row)) rows.push([...unmatchedLeft, ...row]);
  }
  return {
    columns: [...left.columns, ...rightColumnNames(left.columns, right.columns)],
    openSchema: left.openSchema || right.openSchema,
    serialized: false,
    rows,
  };
};
