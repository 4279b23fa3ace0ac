// Alerts for operators (issue 21): an action group that emails them, and log alert rules over the
// Application Insights component that warn before anything breaks. Each rule reads what the app
// already writes (structured log lines in `traces`, function invocations in `requests`) and the
// OpenTelemetry metrics in `customMetrics` (src/telemetry/metrics.ts, exported once
// APPLICATIONINSIGHTS_CONNECTION_STRING is set), so the rules work before and after the metrics are
// wired. README "Alerts and runbook" says what each alert means and what to do.
//
// Counts are sum(itemCount), not count(): host.json samples traces (adaptive sampling keeps one line
// for several and says how many in itemCount); requests are excluded from sampling and metrics are
// never sampled (their itemCount is 1).
param name string
param location string
param tags object

@description('Name of the Application Insights component the function app writes to (monitoring.bicep output).')
param appInsightsName string

@description('Where alerts are emailed (a team mailbox or distribution list). Empty: no action group; the rules still fire and show in Azure Monitor.')
param alertEmail string

@description('ROTATION_INTERVAL in seconds (P90D = 7776000).')
param rotationIntervalSeconds int = 7776000

@description('ROTATION_PROPAGATION in seconds (P2D = 172800).')
param rotationPropagationSeconds int = 172800

@description('No rotateKeys run for this long means the timer is not running (three runs of the hourly default).')
param rotationTimerSilence string = 'PT3H'

@description('Failed Key Vault attempts (throttled, timed out, refused, 5xx) in 15 minutes before alerting.')
param keyVaultFailureThreshold int = 10

@description('Sign requests failing with a 5xx code in 15 minutes before alerting.')
param signFailureThreshold int = 3

@description('Seconds without a successful revocation sync before the revocation view counts as stale.')
param revocationStaleSeconds int = 300

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

var emailOperators = !empty(alertEmail)

resource operators 'Microsoft.Insights/actionGroups@2023-01-01' = if (emailOperators) {
  name: 'ag-${name}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take('kvjwt-${name}', 12)
    enabled: true
    emailReceivers: [
      {
        name: 'operators'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// The structured log lines (src/audit.ts consoleLogger, functions/shared/http.ts request.failed) are
// JSON objects in `traces.message`; parsing them beats substring matching on a field's text.
var logLines = 'traces | where message startswith \'{\' | extend line = parse_json(message) | extend event = tostring(line.message)'

// Rotation stalled: no active key, or the active key is past the moment its successor had to be
// announced (interval − propagation, plus the health check's grace) without one, or a rotation run failed.
var rotationStalledQuery = format('''
let lateAfter = {0} - {1} + max_of({1}, 60);
union
  (customMetrics
    | where name == 'kvjwt.ring.active_key.age' and tostring(customDimensions['kvjwt.successor']) == 'none' and value > lateAfter
    | project reason = 'no successor announced in time', itemCount),
  (customMetrics
    | where name == 'kvjwt.ring.keys' and tostring(customDimensions['kvjwt.key.phase']) == 'active' and value < 1
    | project reason = 'no active key', itemCount),
  (customMetrics
    | where name == 'kvjwt.rotations' and tostring(customDimensions['kvjwt.outcome']) == 'failed'
    | project reason = strcat('rotation failed: ', tostring(customDimensions['error.type'])), itemCount),
  (requests
    | where name == 'rotateKeys' and success == false
    | project reason = 'rotateKeys invocation failed', itemCount),
  ({2}
    | where event == 'audit.rotate' and tostring(line.outcome) == 'failure'
    | project reason = strcat('rotation failed: ', tostring(line.code)), itemCount)
| summarize evidence = sum(itemCount) by reason
''', string(rotationIntervalSeconds), string(rotationPropagationSeconds), logLines)

// The timer itself stopped: no rotateKeys invocation at all in the window.
var rotationTimerSilentQuery = '''
requests
| where name == 'rotateKeys'
| summarize runs = sum(itemCount)
'''

// Key Vault throttling and errors: failed attempts from the metric (each retry counts; a histogram
// row's valueCount is its number of attempts), and ring refreshes that failed (logged today, before
// the metrics are wired). A 401 is left out: the SDK's first request to a vault goes without a token
// on purpose and is answered 401 with the challenge (each new client, each instance start); a real
// identity problem shows as 403, as failed refreshes and as sign failures.
var keyVaultErrorsQuery = format('''
union
  (customMetrics
    | where name == 'kvjwt.keyvault.call.duration' and tostring(customDimensions['kvjwt.outcome']) != 'ok'
    | where tostring(customDimensions['http.response.status_code']) != '401'
    | project outcome = tostring(customDimensions['kvjwt.outcome']), attempts = toreal(valueCount)),
  ({0}
    | where event == 'keyring.refresh_failed'
    | project outcome = 'ring refresh failed', attempts = toreal(itemCount))
| summarize attempts = sum(attempts) by outcome
''', logLines)

// Sign failures the caller can do nothing about (5xx codes). The metric and the request.failed log
// line count the same failures: the larger of the two is taken, so nothing is counted twice.
var signFailuresQuery = format('''
let serverSide = dynamic(['key_store_unavailable', 'key_store_forbidden', 'no_active_key', 'revocation_unavailable', 'replay_cache_unavailable', 'internal_error']);
union
  (customMetrics
    | where name == 'kvjwt.sign.failures'
    | extend code = tostring(customDimensions['error.type'])
    | where code in (serverSide)
    | summarize failures = sum(value) by code),
  ({0}
    | where event == 'request.failed' and tostring(line.function) == 'sign'
    | extend code = tostring(line.code)
    | where code in (serverSide)
    | summarize failures = toreal(sum(itemCount)) by code)
| summarize failures = max(failures) by code
''', logLines)

// Revocation store unreachable: the view has not synchronised for too long, the store could not be
// read at start-up, or a revocation could not be written.
var revocationUnreachableQuery = format('''
union
  (customMetrics
    | where name == 'kvjwt.revocation.view.age' and value > {0}
    | project evidence = 'revocation view stale', itemCount),
  ({1}
    | where event == 'revocation.start_failed'
    | project evidence = 'revocation store unreachable at start-up', itemCount),
  ({1}
    | where event == 'request.failed' and tostring(line.code) == 'revocation_unavailable'
    | project evidence = 'revocation_unavailable answered', itemCount)
| summarize hits = sum(itemCount) by evidence
''', string(revocationStaleSeconds), logLines)

var rules = [
  {
    key: 'rotation-stalled'
    displayName: 'kv-jwt: key rotation stalled'
    description: 'No active key with the propagation window left, or a rotation run failed. Runbook: README, Alerts and runbook.'
    severity: 2
    evaluationFrequency: 'PT15M'
    windowSize: 'PT1H'
    query: rotationStalledQuery
    measure: 'evidence'
    operator: 'GreaterThan'
    threshold: 0
    dimension: 'reason'
  }
  {
    key: 'rotation-timer-silent'
    displayName: 'kv-jwt: rotation timer not running'
    description: 'No rotateKeys invocation in the window: keys are not rotated. Runbook: README, Alerts and runbook.'
    severity: 2
    evaluationFrequency: 'PT1H'
    windowSize: rotationTimerSilence
    query: rotationTimerSilentQuery
    measure: 'runs'
    operator: 'LessThan'
    threshold: 1
    dimension: ''
  }
  {
    key: 'keyvault-errors'
    displayName: 'kv-jwt: Key Vault throttling or errors'
    description: 'Key Vault attempts failing (throttled, timed out, refused, 5xx) above the threshold. Runbook: README, Alerts and runbook.'
    severity: 2
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    query: keyVaultErrorsQuery
    measure: 'attempts'
    operator: 'GreaterThan'
    threshold: keyVaultFailureThreshold
    dimension: 'outcome'
  }
  {
    key: 'sign-failures'
    displayName: 'kv-jwt: sign failures'
    description: 'POST /api/sign failing with a 5xx code: callers get no tokens. Runbook: README, Alerts and runbook.'
    severity: 1
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    query: signFailuresQuery
    measure: 'failures'
    operator: 'GreaterThan'
    threshold: signFailureThreshold
    dimension: 'code'
  }
  {
    key: 'revocation-unreachable'
    displayName: 'kv-jwt: revocation store unreachable'
    description: 'The revocation table can not be read or written: new revocations may not take effect. Runbook: README, Alerts and runbook.'
    severity: 1
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    query: revocationUnreachableQuery
    measure: 'hits'
    operator: 'GreaterThan'
    threshold: 0
    dimension: 'evidence'
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in rules: {
    name: 'alert-${name}-${rule.key}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [appInsights.id]
      evaluationFrequency: rule.evaluationFrequency
      windowSize: rule.windowSize
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Total'
            metricMeasureColumn: rule.measure
            operator: rule.operator
            threshold: rule.threshold
            dimensions: empty(rule.dimension) ? [] : [
              {
                name: rule.dimension
                operator: 'Include'
                values: ['*']
              }
            ]
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: true
      actions: {
        actionGroups: emailOperators ? [operators.id] : []
        customProperties: {
          runbook: 'README.md#alerts-and-runbook'
        }
      }
    }
  }
]

output actionGroupId string = emailOperators ? operators.id : ''
output alertRuleNames array = [for (rule, i) in rules: alertRules[i].name]
