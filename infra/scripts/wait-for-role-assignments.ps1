# azd postprovision hook (azure.yaml), for Windows: the same as wait-for-role-assignments.sh.
# On the first provision of an environment only, waits for the identity's new role assignments on
# the storage account to take effect, so that the first deploy does not meet 403 on the deployment
# container (Azure/azure-dev#8026). Should a deploy still meet 403, `azd deploy` again.
$ErrorActionPreference = 'Stop'
$settleSeconds = if ($env:ROLE_ASSIGNMENT_WAIT_SECONDS) { [int]$env:ROLE_ASSIGNMENT_WAIT_SECONDS } else { 180 }
$settled = (azd env get-value ROLE_ASSIGNMENTS_SETTLED 2>$null)
if ($LASTEXITCODE -eq 0 -and $settled -eq 'true') { exit 0 }
Write-Host "Waiting $settleSeconds s for the identity's new role assignments to take effect before the first deploy..."
Start-Sleep -Seconds $settleSeconds
azd env set ROLE_ASSIGNMENTS_SETTLED true
