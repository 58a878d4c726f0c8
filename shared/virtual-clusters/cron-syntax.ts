/**
 * Whether a five-field cron is well formed, without a cron library: the API checks
 * every sleep and backup schedule it takes, and cron-parser (with luxon for time zones,
 * ~100 KiB) would push the API functions past their bundle budget. The scheduled jobs,
 * which compute fire times, use cron-parser itself; a unit test holds this check to what
 * cron-parser accepts (test/unit/cron-syntax.test.ts).
 *
 * Accepted per field: `*`, a value, a range `a-b`, any of them with `/step`, and comma
 * lists; month and day-of-week names (JAN–DEC, SUN–SAT); `?` for either day field; day
 * of week 0–7 (7 is Sunday too). Not accepted: `L`, `W`, `#`, `H` and `@daily`-style macros.
 */
const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31, any: true },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'], base: 1 },
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], base: 0, any: true },
] as const;

type Field = (typeof FIELDS)[number];

function valueOf(field: Field, text: string): number | undefined {
  if (/^\d{1,2}$/.test(text)) return Number(text);
  const names: readonly string[] | undefined = 'names' in field ? field.names : undefined;
  const index = names?.indexOf(text.toUpperCase()) ?? -1;
  return index >= 0 && 'base' in field ? index + field.base : undefined;
}

function partProblem(field: Field, part: string): string | undefined {
  const [range = '', step, ...rest] = part.split('/');
  if (rest.length) return `${field.name}: "${part}" has more than one /`;
  if (step !== undefined && !/^[1-9]\d{0,1}$/.test(step)) return `${field.name}: the step of "${part}" must be a whole number from 1`;
  if (range === '*' || (range === '?' && 'any' in field && step === undefined)) return undefined;
  const bounds = range.split('-');
  if (bounds.length > 2) return `${field.name}: "${part}" is not a value or a range`;
  const values = bounds.map((b) => valueOf(field, b));
  if (values.some((v) => v === undefined)) return /[LW#]/i.test(range) ? `${field.name}: L, W and # are not supported` : `${field.name}: "${part}" is not a value of ${field.min}–${field.max}`;
  for (const v of values as number[]) if (v < field.min || v > field.max) return `${field.name}: ${v} is outside ${field.min}–${field.max}`;
  if (values.length === 2 && (values[0] as number) > (values[1] as number)) return `${field.name}: the range "${range}" runs backwards`;
  return undefined;
}

/** The values a well-formed field stands for. */
function expand(field: Field, text: string): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', step = '1'] = part.split('/');
    const [from, to] = range === '*' || range === '?' ? [field.min, field.max] : range.split('-').map((b) => valueOf(field, b)!);
    const last = to ?? (part.includes('/') ? field.max : from!);
    for (let v = from!; v <= last; v += Number(step)) values.add(v);
  }
  return values;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Why `expression` is not a five-field cron this platform takes, or undefined when it is one. */
export function cronSyntaxProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 5) return `must be a cron of five fields (minute hour day-of-month month day-of-week), not ${fields.length}`;
  if (fields.some((f) => /(^|,)h/i.test(f))) return 'H (a random value) is not supported: name the minute and hour';
  for (const [i, text] of fields.entries()) {
    for (const part of text.split(',')) {
      if (!part) return `${FIELDS[i]!.name}: an empty item in "${text}"`;
      const problem = partProblem(FIELDS[i]!, part);
      if (problem) return `is not a valid cron: ${problem}`;
    }
  }
  // A day of month no listed month has (31 2 = 31 February) never fires.
  const days = expand(FIELDS[2], fields[2]!);
  const months = expand(FIELDS[3], fields[3]!);
  if (![...months].some((m) => [...days].some((d) => d <= DAYS_IN_MONTH[m - 1]!))) return 'is not a valid cron: its days of month fall in none of its months, so it never fires';
  return undefined;
}
