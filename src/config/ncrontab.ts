/*
 * The timer's schedule is an NCRONTAB expression with six fields, seconds first (Learn: "Timer trigger for Azure
 * Functions", NCRONTAB expressions). Each field is `*`, a value, a range `a-b`, any of those with a step `/n`, or a
 * comma-separated list of them; months and days of the week may be named. A value out of its field's range would
 * be refused by the host at start, or never fire: it is a configuration error here, naming the field.
 */

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const fields: readonly Field[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day of week', min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

const example = 'e.g. "0 0 * * * *" for hourly';

/** A value of a field as a number, or null: a number in range, or one of the field's names. */
function valueOf(text: string, field: Field): number | null {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return field.min + named;
  if (!/^\d+$/.test(text)) return null;
  const value = Number(text);
  return value >= field.min && value <= field.max ? value : null;
}

function itemProblem(item: string, field: Field): string | null {
  const [range = '', step, ...extra] = item.split('/');
  if (extra.length > 0 || (step !== undefined && !/^[1-9]\d*$/.test(step))) return `'${item}' has a step that is not a whole number of 1 or more`;
  if (range === '*') return null;
  const [from = '', to, ...more] = range.split('-');
  const first = valueOf(from, field);
  const last = to === undefined ? first : valueOf(to, field);
  if (more.length > 0 || first === null || last === null) return `'${item}' is not within ${field.min}-${field.max}`;
  return first <= last ? null : `'${item}' is a range that runs backwards`;
}

/** What is wrong with an NCRONTAB expression, or null when it is valid. */
export function ncrontabProblem(expression: string): string | null {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== fields.length) return `must be an NCRONTAB expression with six fields, seconds first (${example}); it has ${parts.length}`;
  const problems = parts.flatMap((part, i) => {
    const field = fields[i]!;
    return part.split(',').flatMap((item) => {
      const problem = itemProblem(item, field);
      return problem ? [`${field.name} ${problem}`] : [];
    });
  });
  return problems.length > 0 ? `${problems.join('; ')} (${example})` : null;
}
