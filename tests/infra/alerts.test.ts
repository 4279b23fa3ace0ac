import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/settings';
import { ERROR_STATUS } from '../../src/errors';
import { ATTRIBUTES, INSTRUMENTS } from '../../src/telemetry/metrics';
import { DEFAULTS, defaultAppSettings, deployment, read, ROOT, TYPE_CHECKER } from './deployment-model';

/**
 * infra/modules/alerts.bicep as `azd up` deploys it: main.bicep's parameters evaluated into the module, the
 * module's rules evaluated item by item (loop, format() and all), and every name a query relies on checked
 * against what the app really emits — metric and attribute names from src/telemetry/metrics.ts, log events
 * and invocations from the code. alert-signals.test.ts checks the log lines themselves, as the app writes them.
 */
interface Rule {
  name: string;
  location: string;
  tags: Record<string, string>;
  kind: string;
  properties: {
    displayName: string;
    severity: number;
    enabled: boolean;
    scopes: string[];
    evaluationFrequency: string;
    windowSize: string;
    criteria: { allOf: Array<{ query: string; timeAggregation: string; metricMeasureColumn: string; operator: string; threshold: number; dimensions: Array<{ name: string; operator: string; values: string[] }>; failingPeriods: object }> };
    autoMitigate: boolean;
    actions: { actionGroups: string[]; customProperties: Record<string, string> };
  };
}

const EMAIL = 'kv-jwt-operators@example.com';
const deployed = deployment({ ...DEFAULTS, alertEmail: EMAIL });
const nameStem = deployed.value('nameStem') as string;
const rules = deployed.instances('alerts', 'alertRules') as unknown as Rule[];
const keyOf = (rule: Rule): string => rule.name.slice(`alert-${nameStem}-`.length);
const byKey = Object.fromEntries(rules.map((rule) => [keyOf(rule), rule]));
const condition = (rule: Rule) => rule.properties.criteria.allOf[0];
const queries = rules.map((rule) => condition(rule).query).join('\n');
const [component] = deployed.instances('monitoring', 'appInsights');
const componentId = `/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-dev/providers/Microsoft.Insights/components/${component.name as string}`;

describe('the alert rules azd up deploys', () => {
  it('are wired into main.bicep: the monitoring component, the environment’s names and tags, ALERT_EMAIL', () => {
    expect(deployed.deploys('alerts')).toBe(true);
    expect(deployed.moduleParams('alerts')).toEqual({
      name: nameStem,
      location: DEFAULTS.location,
      tags: { 'azd-env-name': DEFAULTS.environmentName },
      appInsightsName: component.name,
      alertEmail: EMAIL,
      rotationIntervalSeconds: 7776000,
      rotationPropagationSeconds: 172800,
      rotationTimerSilence: 'PT3H',
    });
    expect(JSON.parse(read('infra/main.parameters.json')).parameters.alertEmail).toEqual({ value: '${ALERT_EMAIL=}' });
  });

  it.each([
    ['P90D', 'P2D'],
    ['P30D', 'PT12H'],
    ['PT40S', 'PT10S'],
    ['P1Y', 'P1M'],
  ])('compare key ages with the same seconds the app reads from ROTATION_INTERVAL=%s, ROTATION_PROPAGATION=%s', (rotationInterval, rotationPropagation) => {
    const params = deployment({ ...DEFAULTS, rotationInterval, rotationPropagation }).moduleParams('alerts');
    const settings = defaultAppSettings({ rotationInterval, rotationPropagation });
    const policy = loadConfig({ AUTH_MODE: 'none', ROTATION_INTERVAL: settings.ROTATION_INTERVAL, ROTATION_PROPAGATION: settings.ROTATION_PROPAGATION }).rotation.policy;
    expect([params.rotationIntervalSeconds, params.rotationPropagationSeconds]).toEqual([policy.intervalSeconds, policy.propagationSeconds]);
    const lateAfter = `let lateAfter = ${policy.intervalSeconds} - ${policy.propagationSeconds} + max_of(${policy.propagationSeconds}, 60);`;
    expect(condition(deployment({ ...DEFAULTS, rotationInterval, rotationPropagation }).instances('alerts', 'alertRules')[0] as unknown as Rule).query).toContain(lateAfter);
  });

  it('has the issue’s alerts with their severity, window, evaluation frequency and threshold', () => {
    expect(rules.map((rule) => ({ key: keyOf(rule), severity: rule.properties.severity, every: rule.properties.evaluationFrequency, window: rule.properties.windowSize, operator: condition(rule).operator, threshold: condition(rule).threshold }))).toEqual([
      { key: 'rotation-stalled', severity: 2, every: 'PT15M', window: 'PT1H', operator: 'GreaterThan', threshold: 0 },
      { key: 'rotation-timer-silent', severity: 2, every: 'PT1H', window: 'PT3H', operator: 'LessThan', threshold: 1 },
      { key: 'keyvault-errors', severity: 2, every: 'PT5M', window: 'PT15M', operator: 'GreaterThan', threshold: 10 },
      { key: 'sign-failures', severity: 1, every: 'PT5M', window: 'PT15M', operator: 'GreaterThan', threshold: 3 },
      { key: 'revocation-unreachable', severity: 1, every: 'PT5M', window: 'PT15M', operator: 'GreaterThan', threshold: 0 },
    ]);
    expect(deployment({ ...DEFAULTS, rotationTimerSilence: 'PT26H' }).instances('alerts', 'alertRules').map((rule) => (rule as unknown as Rule).properties.windowSize)).toContain('PT26H');
  });

  it('are log alerts on the Application Insights component, in the environment’s region, auto-resolving', () => {
    for (const rule of rules) {
      expect({ rule: keyOf(rule), kind: rule.kind, location: rule.location, tags: rule.tags, scopes: rule.properties.scopes, enabled: rule.properties.enabled, autoMitigate: rule.properties.autoMitigate }).toEqual({
        rule: keyOf(rule),
        kind: 'LogAlert',
        location: DEFAULTS.location,
        tags: { 'azd-env-name': DEFAULTS.environmentName },
        scopes: [componentId],
        enabled: true,
        autoMitigate: true,
      });
      expect(rule.properties.displayName).toMatch(/^kv-jwt: /);
      expect(condition(rule)).toMatchObject({ timeAggregation: 'Total', failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 } });
      expect(rule.properties.actions.customProperties).toEqual({ runbook: 'README.md#alerts-and-runbook' });
    }
    expect(read('README.md')).toMatch(/^### Alerts and runbook$/m);
  });

  it('email the operators through one action group when ALERT_EMAIL is set', () => {
    const [group] = deployed.instances('alerts', 'operators') as Array<{ name: string; location: string; properties: { groupShortName: string; enabled: boolean; emailReceivers: object[] } }>;
    expect(group).toMatchObject({ name: `ag-${nameStem}`, location: 'global', properties: { enabled: true, emailReceivers: [{ name: 'operators', emailAddress: EMAIL, useCommonAlertSchema: true }] } });
    expect(group.properties.groupShortName).toMatch(/^.{1,12}$/);
    const groupId = `/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-dev/providers/Microsoft.Insights/actionGroups/ag-${nameStem}`;
    for (const rule of rules) expect({ rule: keyOf(rule), groups: rule.properties.actions.actionGroups }).toEqual({ rule: keyOf(rule), groups: [groupId] });
  });

  it('still deploy, with no action group and no receiver, when ALERT_EMAIL is empty', () => {
    const quiet = deployment(DEFAULTS);
    expect(quiet.moduleParams('alerts').alertEmail).toBe('');
    expect(quiet.instances('alerts', 'operators')).toEqual([]);
    const quietRules = quiet.instances('alerts', 'alertRules') as unknown as Rule[];
    expect(quietRules.map((rule) => rule.properties.actions.actionGroups)).toEqual(rules.map(() => []));
  });
});

describe('the alert queries', () => {
  it('measure and split by columns each query produces, with every format() placeholder filled', () => {
    for (const rule of rules) {
      const { query, metricMeasureColumn, dimensions } = condition(rule);
      expect({ rule: keyOf(rule), producesMeasure: new RegExp(`summarize ${metricMeasureColumn} = `).test(query) }).toEqual({ rule: keyOf(rule), producesMeasure: true });
      const splitBy = dimensions.map((d) => d.name);
      expect({ rule: keyOf(rule), splitBy, lastLine: query.trimEnd().split('\n').pop() }).toEqual({ rule: keyOf(rule), splitBy, lastLine: expect.stringMatching(new RegExp(`^\\| summarize ${metricMeasureColumn} = .+${splitBy.length ? ` by ${splitBy[0]}$` : '\\)$'}`)) });
      for (const dimension of dimensions) expect(dimension).toEqual({ name: dimension.name, operator: 'Include', values: ['*'] });
      // Balanced brackets: a slip here would only show at deployment.
      for (const [open, close] of [['(', ')'], ['[', ']']]) expect({ rule: keyOf(rule), open, count: query.split(open).length }).toEqual({ rule: keyOf(rule), open, count: query.split(close).length });
      expect(query).not.toMatch(/\{\d+\}|NaN|undefined/);
    }
  });

  it('count sampled log lines by their itemCount, never by rows', () => {
    expect(queries).not.toMatch(/count\(\)/);
    for (const branch of queries.split(/\n {2}\(/).filter((b) => b.includes('traces |'))) expect(branch).toMatch(/itemCount/);
  });

  it('name only metrics, attributes, invocations and log events the app emits', () => {
    const metricNames = new Set<string>(Object.values(INSTRUMENTS).map((instrument) => instrument.name));
    const attributeNames = new Set<string>(Object.values(ATTRIBUTES));
    const code = appSource();
    for (const [, metric] of queries.matchAll(/name == '([^']+)'/g)) {
      if (metric.startsWith('kvjwt.')) expect({ metric, emitted: metricNames.has(metric) }).toEqual({ metric, emitted: true });
      else expect({ invocation: metric, registered: code.includes(`app.timer('${metric}'`) || code.includes(`app.http('${metric}'`) }).toEqual({ invocation: metric, registered: true });
    }
    for (const [, attribute] of queries.matchAll(/customDimensions\['([^']+)'\]/g)) expect({ attribute, emitted: attributeNames.has(attribute) }).toEqual({ attribute, emitted: true });
    const events = new Set([...queries.matchAll(/event == '([^']+)'/g)].map((match) => match[1]));
    expect(events).toEqual(new Set(['audit.rotate', 'keyring.refresh_failed', 'request.failed', 'revocation.start_failed']));
  });

  it('count as sign failures exactly the 5xx codes of the closed list', () => {
    const listed = /dynamic\(\[([^\]]*)\]\)/.exec(condition(byKey['sign-failures']).query)?.[1].match(/'([^']+)'/g)?.map((quoted) => quoted.slice(1, -1)) ?? [];
    expect(listed.sort()).toEqual(Object.entries(ERROR_STATUS).filter(([, status]) => status >= 500).map(([name]) => name).sort());
  });

  it('leave out the 401 every Key Vault client gets first (the bearer challenge), not the 403 of a missing role', () => {
    const query = condition(byKey['keyvault-errors']).query;
    expect(query).toContain("where tostring(customDimensions['http.response.status_code']) != '401'");
    expect(query).not.toMatch(/'403'/);
  });
});

describe('offline type check of alerts.bicep', () => {
  it('checks the action group and the scheduled query rules against Azure’s published types, with no findings', () => {
    const listed = spawnSync(process.execPath, [TYPE_CHECKER, '--list-types', 'infra'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\n');
    expect(listed).toEqual(expect.arrayContaining(['Microsoft.Insights/actionGroups@2023-01-01', 'Microsoft.Insights/scheduledQueryRules@2023-12-01', 'Microsoft.Insights/components@2020-02-02']));
    const run = spawnSync(process.execPath, [TYPE_CHECKER, 'infra'], { cwd: ROOT, encoding: 'utf8' });
    expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({ status: 0, output: expect.stringMatching(/resources checked, 0 findings/) });
  });
});

/** Every .ts file under src/ and functions/ as one text: where invocations are registered. */
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
