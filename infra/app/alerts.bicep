// The operator's alerts: one action group (its e-mail receiver a parameter) and one log alert
// rule per condition, each a query of the app's telemetry in Application Insights. The queries
// live in infra/alerts/*.kql, where docs/operations.md explains each and what to do first.

param applicationInsightsName string
param location string
param tags object

@description('Where alerts are e-mailed; empty, the action group has no receiver (add one in the portal).')
param alertEmailAddress string = ''

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-${applicationInsightsName}'
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'intunefacade'
    enabled: true
    emailReceivers: empty(alertEmailAddress)
      ? []
      : [
          {
            name: 'operator'
            emailAddress: alertEmailAddress
            useCommonAlertSchema: true
          }
        ]
  }
}

var alerts = [
  {
    name: 'failed-calls-share'
    description: 'More than 5% of the facade\'s answers were 5xx.'
    severity: 1
    query: loadTextContent('../alerts/failed-calls-share.kql')
  }
  {
    name: 'graph-refuses-app'
    description: 'Graph answered 401 or 403 to the app: a permission grant removed, or its token refused.'
    severity: 1
    query: loadTextContent('../alerts/graph-refuses-app.kql')
  }
  {
    name: 'throttling'
    description: 'Graph throttles the app, or the facade refuses callers with 429, more than 20 times in 15 minutes.'
    severity: 2
    query: loadTextContent('../alerts/throttling.kql')
  }
  {
    name: 'async-writes-failed'
    description: 'Asynchronous writes ended in a failure, or their messages were poisoned.'
    severity: 2
    query: loadTextContent('../alerts/async-writes-failed.kql')
  }
  {
    name: 'async-queue-age'
    description: 'A write waited in the queue for more than 15 minutes.'
    severity: 2
    query: loadTextContent('../alerts/async-queue-age.kql')
  }
  {
    name: 'budget-store-fallback'
    description: 'An instance could not reach the shared Graph budget and sends only its local share.'
    severity: 3
    query: loadTextContent('../alerts/budget-store-fallback.kql')
  }
  {
    name: 'store-unreachable'
    description: 'The app\'s storage (Idempotency-Key records, accepted writes, their queue) could not be reached.'
    severity: 1
    query: loadTextContent('../alerts/store-unreachable.kql')
  }
]

resource rules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for alert in alerts: {
    name: '${alert.name}-${applicationInsightsName}'
    location: location
    tags: tags
    properties: {
      displayName: 'intune-status-facade: ${alert.name}'
      description: alert.description
      severity: alert.severity
      enabled: true
      scopes: [applicationInsights.id]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      criteria: {
        allOf: [
          {
            // Each query returns a row only when its condition holds.
            query: alert.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: true
      actions: {
        actionGroups: [actionGroup.id]
      }
    }
  }
]

output actionGroupName string = actionGroup.name
output alertRuleNames array = [for (alert, index) in alerts: rules[index].name]
