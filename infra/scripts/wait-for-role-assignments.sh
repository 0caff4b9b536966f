#!/bin/sh
# azd postprovision hook (azure.yaml). A first `azd up` deploys minutes after the Bicep assigned
# the app's identity its roles on the storage account, and the Flex Consumption deployment then
# meets 403 on the deployment container until those assignments take effect (Azure/azure-dev#8026).
# On the first provision of an environment only, this waits for them; later provisions find the
# roles long in effect and go straight on. Should a deploy still meet 403, `azd deploy` again.
set -eu

settle_seconds=${ROLE_ASSIGNMENT_WAIT_SECONDS:-180}
if [ "$(azd env get-value ROLE_ASSIGNMENTS_SETTLED 2>/dev/null || true)" = "true" ]; then
  exit 0
fi
echo "Waiting ${settle_seconds} s for the identity's new role assignments to take effect before the first deploy..."
sleep "$settle_seconds"
azd env set ROLE_ASSIGNMENTS_SETTLED true
