import { parseDurationMs } from '../../src/config/duration';
import { composite, dateTimeAdd, evaluateExpression, evaluateValue } from './bicep-eval';
import { fileScope } from './bicep-scope';
import { at, parseBicep, parseValue, type BicepValue } from './bicep-reader';

/**
 * The test Bicep reader and evaluator themselves, on small sources: what the infra tests can trust them to
 * read (loops, multi-line strings, conditions) and to compute (format(), durations, resource ids).
 */
const SUBSCRIPTION = '00000000-0000-0000-0000-0000000000aa';
const noSymbols = (name: string): never => {
  throw new Error(`unknown symbol ${name}`);
};

describe('reading loops', () => {
  const file = parseBicep(
    [
      "param names array = ['a', 'b', 'c']",
      "resource plain 'Microsoft.Insights/actionGroups@2023-01-01' = {",
      "  name: 'ag'",
      '}',
      "resource rules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [",
      '  for (name, i) in names: if (name != \'b\') {',
      "    name: 'rule-${name}'",
      '    properties: {',
      '      severity: i',
      '      actions: { actionGroups: [plain.id] }',
      '    }',
      '  }',
      ']',
      "resource each 'Microsoft.Insights/actionGroups@2023-01-01' = [for name in names: {",
      '  name: name',
      '}]',
      'output ruleNames array = [for (name, i) in names: rules[i].name]',
      "var nested = { list: [for n in names: '${n}!'] }",
    ].join('\n'),
  );

  it('reads a resource loop split over lines: its variables, iterable, condition and object body', () => {
    const rules = file.resources.find((r) => r.symbol === 'rules');
    expect(rules?.loop).toMatchObject({ item: 'name', index: 'i', iterable: { kind: 'expression', text: 'names' } });
    expect(rules?.condition).toBe("name != 'b'");
    expect(rules && at(rules.body, 'properties', 'severity').text).toBe('i');
    const each = file.resources.find((r) => r.symbol === 'each');
    expect([each?.loop?.item, each?.loop?.index, each?.condition, each && at(each.body, 'name').text]).toEqual(['name', undefined, undefined, 'name']);
    expect(file.resources.find((r) => r.symbol === 'plain')?.loop).toBeUndefined();
  });

  it('reads loop values in outputs and inside objects', () => {
    expect(file.outputs.get('ruleNames')?.value).toMatchObject({ kind: 'for', loop: { item: 'name', index: 'i' }, body: { kind: 'expression', text: 'rules[i].name' } });
    expect(at(file.vars.get('nested') as BicepValue, 'list')).toMatchObject({ kind: 'for', body: { kind: 'expression', text: "'${n}!'" } });
  });

  it('evaluates loops item by item, with their condition and index, and resource loops as collections of references', () => {
    const lookup = fileScope(file, {}, {}, undefined, { resourceGroup: 'rg-x' });
    expect(evaluateValue(file.vars.get('nested') as BicepValue, lookup)).toEqual({ list: ['a!', 'b!', 'c!'] });
    // The collection has every item (ARM indexes the loop, not the items its condition keeps).
    expect(evaluateValue(file.outputs.get('ruleNames')?.value as BicepValue, lookup)).toEqual(['rule-a', 'rule-b', 'rule-c']);
    expect(lookup('plain')).toEqual({ id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-x/providers/Microsoft.Insights/actionGroups/ag`, name: 'ag', type: 'Microsoft.Insights/actionGroups', apiVersion: '2023-01-01' });
    expect(evaluateExpression("[for (n, k) in names: if (k > 0) '${k}:${n}']", lookup)).toEqual(['1:b', '2:c']);
  });

  it('refuses a loop it can not read rather than guess', () => {
    expect(() => parseBicep("resource r 'A.B/c@1' = [for 'x' in names: {}]")).toThrow(/a loop variable expected/);
    expect(() => parseBicep("resource r 'A.B/c@1' = [for (x) in names: {}]")).toThrow(/"," expected/);
    expect(() => parseBicep("resource r 'A.B/c@1' = [for x of names: {}]")).toThrow(/"in" expected/);
    expect(() => parseBicep("resource r 'A.B/c@1' = [for x in names: 'not an object']")).toThrow(/object body in the loop/);
    expect(() => parseBicep("resource r 'A.B/c@1' = [for x in names {}]")).toThrow(/":" expected/);
  });
});

describe('reading multi-line strings', () => {
  it('reads them verbatim, less one leading line break, with a run of closing quotes kept as Bicep does', () => {
    expect(parseValue("'''\nline ${not} \\n 'q'\n'''")).toMatchObject({ kind: 'string', value: "line ${not} \\n 'q'\n" });
    expect(parseValue("'''\r\nx'''")).toMatchObject({ kind: 'string', value: 'x' });
    expect(parseValue("'''\n\nx'''")).toMatchObject({ kind: 'string', value: '\nx' });
    expect(parseValue("''''a''''")).toMatchObject({ kind: 'string', value: "'a'" });
    expect(evaluateExpression("format('''\n{0} // not a comment\n''', 'kept')", noSymbols)).toBe('kept // not a comment\n');
  });

  it('keeps comments inside them and drops comments after them', () => {
    const file = parseBicep(["var q = '''", 'a // b', "/* c */'''", "var after = 1 // gone"].join('\n'));
    expect(file.vars.get('q')).toMatchObject({ kind: 'string', value: 'a // b\n/* c */' });
    expect(file.vars.get('after')).toMatchObject({ kind: 'number', value: 1 });
  });
});

describe('format() as ARM runs it (.NET composite formatting)', () => {
  it('fills placeholders, in any order and repeated, and reads doubled braces as braces', () => {
    expect(composite('{1}-{0}-{1}', ['a', 7])).toBe('7-a-7');
    expect(composite('{{literal}} {0}', ['x'])).toBe('{literal} x');
    expect(composite('[{0,4}|{0,-4}]', ['ab'])).toBe('[  ab|ab  ]');
  });

  it('fails where the deployment would: a stray brace, a missing argument', () => {
    expect(() => composite('extend x = { }', [])).toThrow(/not a placeholder/);
    expect(() => composite('a } b', [])).toThrow(/lone "}"/);
    expect(() => composite('{2}', ['a', 'b'])).toThrow(/placeholder \{2\} but 2 argument/);
  });
});

describe('durations: dateTimeAdd() and dateTimeToEpoch()', () => {
  const seconds = (duration: string): unknown => evaluateExpression(`dateTimeToEpoch(dateTimeAdd('1970-01-01T00:00:00Z', '${duration}'))`, noSymbols);

  it.each(['P90D', 'P2D', 'PT1H', 'PT90M', 'PT20S', 'P1Y', 'P1M', 'P1DT12H'])('turns %s into the seconds the app reads from it', (duration) => {
    expect(seconds(duration)).toBe((parseDurationMs(duration) as number) / 1000);
  });

  it('keeps the base format and refuses what it does not model', () => {
    expect(dateTimeAdd('2024-02-28T00:00:00Z', 'P1D')).toBe('2024-02-29T00:00:00Z');
    expect(dateTimeAdd('2024-01-01T00:00:00Z', '-PT1H')).toBe('2023-12-31T23:00:00Z');
    expect(() => dateTimeAdd('1970-01-01T00:00:00Z', 'P2W')).toThrow(/not a duration/);
    expect(() => dateTimeAdd('1970-01-01T00:00:00Z', 'P')).toThrow(/not a duration/);
    expect(() => dateTimeAdd('1970-01-01T00:00:00', 'P1D')).toThrow(/zone/);
  });
});

describe('resource references', () => {
  it('builds ARM ids for children through `parent`, at subscription or resource group scope', () => {
    const file = parseBicep(
      [
        "resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = { name: 'kv1' }",
        "resource key 'Microsoft.KeyVault/vaults/keys@2023-07-01' = {",
        '  parent: vault',
        "  name: 'k'",
        '}',
        "resource existingGroup 'Microsoft.Resources/resourceGroups@2024-03-01' existing = { name: 'rg-y' }",
      ].join('\n'),
    );
    const inGroup = fileScope(file, {}, {}, undefined, { resourceGroup: 'rg-y' });
    expect(inGroup('key')).toMatchObject({ name: 'kv1/k', id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-y/providers/Microsoft.KeyVault/vaults/kv1/keys/k` });
    expect(fileScope(file, {})('existingGroup')).toMatchObject({ id: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Resources/resourceGroups/rg-y` });
  });
});
