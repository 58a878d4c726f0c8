import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { cronSyntaxProblem } from '#shared/virtual-clusters/cron-syntax.ts';

const parses = (expression: string) => {
  try {
    CronExpressionParser.parse(expression, { currentDate: new Date('2026-12-07T12:00:00Z'), tz: 'UTC' }).prev();
    return true;
  } catch {
    return false;
  }
};

const valid = [
  '* * * * *', '0 19 * * 1-5', '*/15 * * * *', '0 8 * * MON-FRI', '30 2 1 JAN,jul *', '0 0 ? * SUN', '0 0 1 * ?', '5-55/10 0-23/2 1-31 1-12 0-7',
  '0 12 * * 7', '59 23 31 12 6', '0,30 * * * *', '0 0 15 FEB *', '0 0 29 2 *', '0 0 30,31 1-3 *',
];
const invalid = ['* * * *', '* * * * * *', '60 * * * *', '* 24 * * *', '* * 0 * *', '* * * 13 *', '* * * * 8', '10-5 * * * *', '*/0 * * * *', '* * * FOO *', '0 0 L * *', '0 0 * * 5#2', 'H * * * *', '@daily', '1,,2 * * * *', '* * ? * ?x', '0 0 31 2 *', '0 0 30 FEB *'];

describe('the API\'s cron check', () => {
  it('takes the five-field crons cron-parser reads, as the jobs will read them', () => {
    for (const expression of valid) {
      expect(cronSyntaxProblem(expression), expression).toBeUndefined();
      expect(parses(expression), `cron-parser reads ${expression}`).toBe(true);
    }
  });

  it('refuses what is not a five-field cron, and what cron-parser reads but the platform does not support (L, W, #, H, macros)', () => {
    for (const expression of invalid) expect(cronSyntaxProblem(expression), expression).toBeDefined();
  });

  it('never takes a cron that cron-parser cannot read', () => {
    for (const expression of invalid) if (cronSyntaxProblem(expression) === undefined) expect(parses(expression), expression).toBe(true);
  });

  it('says which field is wrong', () => {
    expect(cronSyntaxProblem('0 25 * * *')).toContain('hour: 25 is outside 0–23');
    expect(cronSyntaxProblem('0 0 * * 1 2')).toContain('not 6');
  });
});
