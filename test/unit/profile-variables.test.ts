import { describe, expect, it } from 'vitest';
import { ApiError } from '#shared/errors.ts';
import {
  checkVariableValue,
  renderTemplate,
  resolveProfileVariables,
  templateVariableNames,
  type ProfileVariable,
} from '#shared/cluster-profiles/variables.ts';

/** The ApiError a call throws (fails the test when it does not throw one). */
async function thrown(call: () => Promise<unknown>): Promise<ApiError> {
  try {
    await call();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected the call to throw');
}

const declared: ProfileVariable[] = [
  { name: 'region', required: true },
  { name: 'replicas', format: 'number', default: 3 },
  { name: 'debug', format: 'boolean', default: false },
  { name: 'env', regex: '^(dev|prod)$', default: 'dev' },
  { name: 'note' },
];

describe('resolveProfileVariables', () => {
  it('takes given values first, then defaults, and leaves optional variables without a default empty', async () => {
    const { values } = await resolveProfileVariables(declared, { region: 'eu-west-1', debug: 'true' });
    expect(values).toEqual({ region: 'eu-west-1', replicas: '3', debug: 'true', env: 'dev', note: '' });
  });

  it('renders numbers and booleans given as JSON values or as strings the same way', async () => {
    const vars: ProfileVariable[] = [
      { name: 'n', format: 'number' },
      { name: 'b', format: 'boolean' },
    ];
    expect((await resolveProfileVariables(vars, { n: 2.5, b: true })).values).toEqual({ n: '2.5', b: 'true' });
    expect((await resolveProfileVariables(vars, { n: '-10', b: 'false' })).values).toEqual({ n: '-10', b: 'false' });
    expect((await resolveProfileVariables(vars, { n: '1e3' })).values.n).toBe('1e3');
  });

  it('lists every problem at once with variables.<name> paths', async () => {
    const error = await thrown(() =>
      resolveProfileVariables(declared, { replicas: 'many', debug: 'yes', env: 'staging', colour: 'blue', shade: 1 }),
    );
    expect(error.code).toBe('validation_failed');
    expect(error.status).toBe(400);
    expect(error.errors).toEqual([
      { path: 'body.variables.region', message: 'required' },
      { path: 'body.variables.replicas', message: 'must be a number' },
      { path: 'body.variables.debug', message: 'must be true or false' },
      { path: 'body.variables.env', message: 'must match ^(dev|prod)$' },
      { path: 'body.variables.colour', message: 'unknown variable' },
      { path: 'body.variables.shade', message: 'unknown variable' },
    ]);
  });

  it('wants strings for string variables, and treats an undefined value as not given', async () => {
    const error = await thrown(() => resolveProfileVariables([{ name: 's' }, { name: 'r', required: true }], { s: 42, r: undefined }));
    expect(error.errors).toEqual([
      { path: 'body.variables.s', message: 'must be a string' },
      { path: 'body.variables.r', message: 'required' },
    ]);
  });

  it('is satisfied by a default for a required variable, and reports a default that does not fit', async () => {
    expect((await resolveProfileVariables([{ name: 'r', required: true, default: 'x' }], {})).values).toEqual({ r: 'x' });
    const error = await thrown(() => resolveProfileVariables([{ name: 'n', format: 'number', default: 'abc' }], {}));
    expect(error.errors).toEqual([{ path: 'body.variables.n', message: 'the default must be a number' }]);
  });

  it('does not mistake inherited object properties for given values or declared names', async () => {
    const error = await thrown(() => resolveProfileVariables([{ name: 'toString', required: true }], {}));
    expect(error.errors).toEqual([{ path: 'body.variables.toString', message: 'required' }]);
  });

  it('accepts no variables at all', async () => {
    expect(await resolveProfileVariables([], {})).toEqual({ values: {} });
  });
});

describe('checkVariableValue', async () => {
  it('applies the regex the way RegExp.test does (unanchored unless the regex anchors itself)', async () => {
    expect(await checkVariableValue({ name: 'x', regex: 'ab' }, 'xxabxx')).toEqual({ value: 'xxabxx' });
    expect(await checkVariableValue({ name: 'x', regex: '^ab$' }, 'xxabxx')).toEqual({ problem: 'must match ^ab$' });
    expect(await checkVariableValue({ name: 'x', format: 'number', regex: '^\\d+$' }, 12)).toEqual({ value: '12' });
  });

  it('refuses values that are too long, and regexes that do not compile', async () => {
    expect((await checkVariableValue({ name: 'x' }, 'a'.repeat(5000))).problem).toMatch(/at most/);
    expect((await checkVariableValue({ name: 'x', regex: '(' }, 'a')).problem).toMatch(/does not compile/);
  });

  it('refuses non-finite numbers and null', async () => {
    expect((await checkVariableValue({ name: 'x', format: 'number' }, Number.NaN)).problem).toBe('must be a number');
    expect((await checkVariableValue({ name: 'x', format: 'number' }, '12abc')).problem).toBe('must be a number');
    expect((await checkVariableValue({ name: 'x', format: 'boolean' }, null)).problem).toBe('must be true or false');
  });
});

describe('renderTemplate', () => {
  const values = { region: 'eu-west-1', replicas: '3' };

  it('replaces the Palette form and the short form, with any whitespace inside the braces', () => {
    const text = [
      'region: {{ .spectro.var.region }}',
      'again: {{.spectro.var.region}}',
      'replicas: {{   var.replicas   }}',
      'short: {{var.region}}',
    ].join('\n');
    expect(renderTemplate(text, values)).toBe(
      ['region: eu-west-1', 'again: eu-west-1', 'replicas: 3', 'short: eu-west-1'].join('\n'),
    );
  });

  it('leaves other templates alone and inserts values literally', () => {
    const text = 'name: {{ .spectro.system.cluster.name }} x: {{ var.region }} {{ .Values.x }}';
    expect(renderTemplate(text, { region: '$& $1 {{ var.region }}' })).toBe(
      'name: {{ .spectro.system.cluster.name }} x: $& $1 {{ var.region }} {{ .Values.x }}',
    );
  });

  it('refuses references to variables without a value', async () => {
    const error = await thrown(async () => renderTemplate('{{ var.region }} {{ .spectro.var.zone }} {{ var.zone }}', values));
    expect(error.errors).toEqual([{ path: 'body.variables.zone', message: 'undeclared variable' }]);
  });

  it('names the variables a text uses, once each', () => {
    expect(templateVariableNames('{{ var.a }} {{ .spectro.var.b }} {{var.a}} {{ .spectro.var.9bad }}')).toEqual(['a', 'b']);
  });
});
