import { type SyntaxNode, parseQuery } from '@kv-audit/kql';

/*
 * The part of KQL Resource Graph accepts (Learn: "Understanding the Azure Resource Graph query language"):
 * its tabular operators only; join flavors innerunique, inner, leftouter and fullouter, no join hints, at
 * most 3 joins; at most 3 union legs, none of them a wildcard; at most 3 mv-expand operators, each with a
 * row limit of at most 400. The emulator's own KQL engine runs more than that, so a query that ARG would
 * refuse is refused here first, with ARG's codes where they are public (UnsupportedJoinFlavor) and the
 * emulator's own otherwise.
 */

export interface DialectProblem {
  readonly code: string;
  readonly message: string;
}

const supportedOperators = new Map([
  ['CountOperator', 'count'],
  ['DistinctOperator', 'distinct'],
  ['ExtendOperator', 'extend'],
  ['JoinOperator', 'join'],
  ['MvExpandOperator', 'mv-expand'],
  ['SortOperator', 'order by'],
  ['ProjectOperator', 'project'],
  ['ProjectAwayOperator', 'project-away'],
  ['SummarizeOperator', 'summarize'],
  ['TakeOperator', 'take'],
  ['TopOperator', 'top'],
  ['UnionOperator', 'union'],
  ['FilterOperator', 'where'],
]);
const joinFlavors = new Set(['innerunique', 'inner', 'leftouter', 'fullouter']);
const maxJoins = 3;
const maxUnionLegs = 3;
const maxMvExpands = 3;
const maxMvExpandRowLimit = 400;

function walk(node: SyntaxNode, visit: (node: SyntaxNode, parent: SyntaxNode | null) => void, parent: SyntaxNode | null = null): void {
  visit(node, parent);
  for (const child of node.children) walk(child, visit, node);
}

const listOf = (node: SyntaxNode, role: string) => node.children.find((c) => c.role === role)?.children ?? [];

/** Every way `query` leaves ARG's dialect; empty when ARG would accept it. A syntax error throws (UnsupportedQueryError). */
export function resourceGraphDialectProblems(query: string): DialectProblem[] {
  const problems: DialectProblem[] = [];
  let joins = 0;
  let mvExpands = 0;
  walk(parseQuery(query), (node, parent) => {
    if (node.kind.endsWith('Operator') && !node.kind.endsWith('BinaryOperator') && /^[A-Z][A-Za-z]+Operator$/.test(node.kind)) {
      if (!supportedOperators.has(node.kind)) {
        problems.push({ code: 'UnsupportedOperator', message: `The operator '${node.text.split(/\s/)[0]}' is not supported by Azure Resource Graph.` });
      }
    }
    switch (node.kind) {
      // Not among ARG's tabular operators; the emulator's engine runs it for the Log Analytics query API.
      case 'DataTableExpression':
        problems.push({ code: 'UnsupportedOperator', message: "The operator 'datatable' is not supported by Azure Resource Graph." });
        break;
      case 'JoinOperator': {
        joins += 1;
        for (const parameter of listOf(node, 'Parameters')) {
          const [name, value] = parameter.text.split('=').map((s) => s.trim().toLowerCase());
          if (name === 'kind' && value !== undefined && !joinFlavors.has(value)) {
            problems.push({ code: 'UnsupportedJoinFlavor', message: `The join kind "${value}" is not supported or not allowed.` });
          } else if (name !== 'kind') {
            problems.push({ code: 'UnsupportedJoinHint', message: `Custom join strategies such as '${parameter.text}' are not allowed.` });
          }
        }
        break;
      }
      case 'UnionOperator': {
        const piped = parent?.kind === 'PipeExpression' && node.role === 'Operator';
        const legs = listOf(node, 'Expressions');
        if (legs.length + (piped ? 1 : 0) > maxUnionLegs) {
          problems.push({ code: 'TooManyUnionLegs', message: `A query may union at most ${maxUnionLegs} legs; this one has ${legs.length + (piped ? 1 : 0)}.` });
        }
        for (const leg of legs) {
          if (leg.children.some((c) => c.kind === 'WildcardedName')) {
            problems.push({ code: 'UnsupportedUnionWildcard', message: `Fuzzy resolution of union leg tables ('${leg.text}') is not allowed.` });
          }
        }
        // The same rule forbids isfuzzy=true, which Log Analytics allows (the emulator's query API takes it).
        for (const parameter of listOf(node, 'Parameters')) {
          problems.push({ code: 'UnsupportedUnionWildcard', message: `Fuzzy resolution of union leg tables ('${parameter.text}') is not allowed.` });
        }
        break;
      }
      case 'MvExpandOperator': {
        mvExpands += 1;
        const limit = Number(/\d+/.exec(node.children.find((c) => c.role === 'RowLimitClause')?.text ?? '')?.[0] ?? 0);
        if (limit > maxMvExpandRowLimit) {
          problems.push({ code: 'MvExpandRowLimitTooLarge', message: `mv-expand's row limit is at most ${maxMvExpandRowLimit}; got ${limit}.` });
        }
        break;
      }
    }
  });
  if (joins > maxJoins) problems.push({ code: 'TooManyJoinOperators', message: `A query may use at most ${maxJoins} join operators; this one has ${joins}.` });
  if (mvExpands > maxMvExpands) {
    problems.push({ code: 'TooManyMvExpandOperators', message: `A query may use at most ${maxMvExpands} mv-expand operators; this one has ${mvExpands}.` });
  }
  return problems;
}
