import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ATTRIBUTES, INSTRUMENTS } from '../../src/telemetry/metrics';

/**
 * infra/modules/alerts.bicep read as text (no Bicep compiler installs here): each rule's query,
 * severity, window and action group, and every name a query relies on checked against what the app
 * really emits — metric and attribute names from src/telemetry/metrics.ts, log events from the code.
 */
const ROOT = resolve(__dirname, '..', '..');
// Full-line comments only: the queries themselves contain no `//`.
const source = readFileSync(join(ROOT, 'infra', 'modules', 'alerts.bicep'), 'utf8').replace(/^\s*\/\/.*$/gm, '');

interface Rule {
  key: string;
  severity: number;
  evaluationFrequency: string;
  windowSize: string;
  query: string;
  measure: string;
  operator: string;
  threshold: string;
  dimension: string;
}

/** `var name = format('''…''', args)` or `var name = '''…'''`: the KQL text and its format arguments. */
function queryVariable(name: string): { text: string; args: string[] } {
  const match = new RegExp(`^var ${name} = (format\\()?'''([\\s\\S]*?)'''(.*)$`, 'm').exec(source);
  if (!match) throw new Error(`no query variable ${name}`);
  const args = match[1] ? match[3].replace(/\)\s*$/, '').split(',').map((arg) => arg.trim()).filter(Boolean) : [];
  return { text: match[2], args };
}

const LOG_LINES = /^var logLines = '(.*)'$/m.exec(source)?.[1].replace(/\\'/g, "'") ?? '';

/** The KQL as deployed: format() placeholders replaced by their arguments (params by a sample value). */
function expand(name: string): string {
  const { text, args } = queryVariable(name);
  return text.replace(/\{(\d+)\}/g, (_whole, index: string) => {
    const arg = args[Number(index)];
    if (arg === 'logLines') return LOG_LINES;
    const param = /^string\((\w+)\)$/.exec(arg)?.[1];
    if (param) return /^param \w+ int = (\d+)$/m.exec(source.slice(source.indexOf(`param ${param} `)))?.[1] ?? 'NaN';
    throw new Error(`unexpected format argument ${arg}`);
  });
}

function rules(): Rule[] {
  const block = /^var rules = \[([\s\S]*?)^\]/m.exec(source)?.[1] ?? '';
  return [...block.matchAll(/\{([\s\S]*?)\n {2}\}/g)].map(([, body]) => {
    const field = (name: string): string => new RegExp(`^\\s*${name}: (.+)$`, 'm').exec(body)?.[1].trim().replace(/^'(.*)'$/, '$1') ?? '';
    return {
      key: field('key'),
      severity: Number(field('severity')),
      evaluationFrequency: field('evaluationFrequency'),
      windowSize: field('windowSize'),
      query: expand(field('query')),
      measure: field('measure'),
      operator: field('operator'),
      threshold: field('threshold'),
      dimension: field('dimension'),
    };
  });
}

/** Every .ts file under src/ and functions/ as one text: where log events must be written. */
function appSource(): string {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts')) files.push(readFileSync(path, 'utf8'));
    }
  };
  walk(join(ROOT, 'src'));
  walk(join(ROOT, 'functions'));
  return files.join('\n');
}

describe('alerts.bicep', () => {
  const all = rules();
  const byKey = Object.fromEntries(all.map((rule) => [rule.key, rule]));

  it('has the issue’s alerts with their severity, window and evaluation frequency', () => {
    expect(all.map(({ key, severity, evaluationFrequency, windowSize, operator, threshold }) => ({ key, severity, evaluationFrequency, windowSize, operator, threshold }))).toEqual([
      { key: 'rotation-stalled', severity: 2, evaluationFrequency: 'PT15M', windowSize: 'PT1H', operator: 'GreaterThan', threshold: '0' },
      { key: 'rotation-timer-silent', severity: 2, evaluationFrequency: 'PT1H', windowSize: 'rotationTimerSilence', operator: 'LessThan', threshold: '1' },
      { key: 'keyvault-errors', severity: 2, evaluationFrequency: 'PT5M', windowSize: 'PT15M', operator: 'GreaterThan', threshold: 'keyVaultFailureThreshold' },
      { key: 'sign-failures', severity: 1, evaluationFrequency: 'PT5M', windowSize: 'PT15M', operator: 'GreaterThan', threshold: 'signFailureThreshold' },
      { key: 'revocation-unreachable', severity: 1, evaluationFrequency: 'PT5M', windowSize: 'PT15M', operator: 'GreaterThan', threshold: '0' },
    ]);
    expect(source).toMatch(/^param rotationTimerSilence string = 'PT3H'$/m);
  });

  it('deploys each rule as a log alert on the Application Insights component, sending to the action group', () => {
    const resource = /resource alertRules 'Microsoft\.Insights\/scheduledQueryRules@2023-12-01' = \[\s*for rule in rules: \{([\s\S]*?)\n\]/.exec(source)?.[1] ?? '';
    expect(resource).toMatch(/kind: 'LogAlert'/);
    expect(resource).toMatch(/scopes: \[appInsights\.id\]/);
    expect(resource).toMatch(/actionGroups: \[operators\.id\]/);
    for (const field of ['severity', 'evaluationFrequency', 'windowSize', 'query', 'operator', 'threshold']) expect(resource).toContain(`${field}: rule.${field}`);
    expect(resource).toMatch(/metricMeasureColumn: rule\.measure/);
    expect(resource).toMatch(/autoMitigate: true/);
    expect(source).toMatch(/resource appInsights 'Microsoft\.Insights\/components@2020-02-02' existing = \{\s*name: appInsightsName/);
  });

  it('emails the operators through an action group whose address is a parameter', () => {
    const group = /resource operators 'Microsoft\.Insights\/actionGroups@2023-01-01' = \{([\s\S]*?)\n\}/.exec(source)?.[1] ?? '';
    expect(group).toMatch(/location: 'global'/);
    expect(group).toMatch(/emailAddress: alertEmail/);
    expect(group).toMatch(/groupShortName: take\('kvjwt-\$\{name\}', 12\)/);
    expect(source).toMatch(/^param alertEmail string$/m);
  });

  it('measures and splits by columns each query produces', () => {
    for (const rule of all) {
      expect({ rule: rule.key, producesMeasure: new RegExp(`summarize ${rule.measure} = `).test(rule.query) }).toEqual({ rule: rule.key, producesMeasure: true });
      if (rule.dimension) expect({ rule: rule.key, splitsBy: rule.query.trimEnd().endsWith(`by ${rule.dimension}`) }).toEqual({ rule: rule.key, splitsBy: true });
      // Balanced brackets: a slip here would only show at deployment.
      for (const [open, close] of [['(', ')'], ['[', ']']]) expect({ rule: rule.key, open, count: rule.query.split(open).length }).toEqual({ rule: rule.key, open, count: rule.query.split(close).length });
      expect(rule.query).not.toMatch(/\{\d+\}|NaN/); // every format() placeholder was filled
    }
  });

  it('queries only metrics, attributes and log events the app really emits', () => {
    const metricNames = new Set<string>(Object.values(INSTRUMENTS).map((instrument) => instrument.name));
    const attributeNames = new Set<string>(Object.values(ATTRIBUTES));
    const code = appSource();
    const used = all.map((rule) => rule.query).join('\n');
    for (const [, metric] of used.matchAll(/name == '([^']+)'/g)) {
      if (metric.startsWith('kvjwt.')) expect({ metric, emitted: metricNames.has(metric) }).toEqual({ metric, emitted: true });
      else expect({ invocation: metric, registered: code.includes(`app.timer('${metric}'`) || code.includes(`app.http('${metric}'`) }).toEqual({ invocation: metric, registered: true });
    }
    for (const [, attribute] of used.matchAll(/customDimensions\['([^']+)'\]/g)) expect({ attribute, emitted: attributeNames.has(attribute) }).toEqual({ attribute, emitted: true });
    const events = [...used.matchAll(/event == '([^']+)'/g)].map((match) => match[1]);
    expect(new Set(events)).toEqual(new Set(['audit.rotate', 'keyring.refresh_failed', 'request.failed', 'revocation.start_failed']));
    for (const event of events.filter((e) => e !== 'audit.rotate')) expect({ event, written: code.includes(`'${event}'`) }).toEqual({ event, written: true });
    expect(code).toContain('`audit.${event.operation}`'); // audit lines are audit.<operation>; 'rotate' is one
    // The error codes the sign alert counts are 5xx codes of the closed list.
    const { ERROR_STATUS } = jest.requireActual<typeof import('../../src/errors')>('../../src/errors');
    const listed = /dynamic\(\[([^\]]*)\]\)/.exec(byKey['sign-failures'].query)?.[1].match(/'([^']+)'/g)?.map((quoted) => quoted.slice(1, -1)) ?? [];
    expect(listed.sort()).toEqual(Object.entries(ERROR_STATUS).filter(([, status]) => status >= 500).map(([name]) => name).sort());
  });

  it('compares the active key’s age with interval − propagation + grace, as rotation health does', () => {
    expect(byKey['rotation-stalled'].query).toContain('let lateAfter = 7776000 - 172800 + max_of(172800, 60);');
  });

  it('passes the offline Bicep type check (../shared/bicep-types) with no findings', () => {
    const checker = resolve(ROOT, '..', 'shared', 'bicep-types', 'check.mjs');
    expect({ checker, present: existsSync(checker) }).toEqual({ checker, present: true });
    const run = spawnSync(process.execPath, [checker, 'infra'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stdout).toMatch(/0 findings/);
    expect(run.status).toBe(0);
  });
});
