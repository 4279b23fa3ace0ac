# azd postdeploy hook (azure.yaml) on Windows: the same seven checks as postdeploy.sh, in PowerShell 7 (pwsh).
#   1 /api/health answers 200            4 the deploying principal signs a token (az account get-access-token)
#   2 discovery names the issuer + JWKS  5 /api/verify says it is active, for the inbound audience
#   3 the JWKS lists keys                6 verify-inbound accepts it   7 verify-inbound refuses a tampered one
# Needs az (logged in). Reads the azd environment: azd passes it to hooks; run by hand, the values come from
# `azd env get-value`. Prints what it did, never a token or the workflow's callback URL.
# SMOKE_TEST_SKIP=true skips it. 000/404/5xx answers and token errors are retried every SMOKE_TEST_RETRY_SECONDS
# (10) for up to SMOKE_TEST_TIMEOUT_SECONDS (300): right after a deployment the app may still be starting.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

function Fail([string] $Message) {
    [Console]::Error.WriteLine("postdeploy smoke test FAILED: $Message")
    exit 1
}
function Step([int] $Number, [string] $Text) {
    Write-Host "[$Number/7] $Text"
}
# An azd environment value: from the hook's environment, else from azd itself.
function Setting([string] $Name) {
    $value = [Environment]::GetEnvironmentVariable($Name)
    if (-not $value) {
        try { $value = (& azd env get-value $Name 2>$null) } catch { $value = '' }
        if ($LASTEXITCODE -ne 0) { $value = '' }
    }
    if (-not $value) { Fail "$Name is not set in the azd environment (did azd provision run?)" }
    return "$value".Trim()
}
# One HTTP call; the status is 0 when no answer came back.
function Request([string] $Method, [string] $Uri, $Body = $null, [hashtable] $Headers = @{}) {
    $arguments = @{ Method = $Method; Uri = $Uri; Headers = $Headers; ContentType = 'application/json'; SkipHttpErrorCheck = $true; TimeoutSec = 30 }
    if ($null -ne $Body) { $arguments.Body = ($Body | ConvertTo-Json -Depth 10 -Compress) }
    try {
        $response = Invoke-WebRequest @arguments
        $json = $null
        try { $json = $response.Content | ConvertFrom-Json } catch { $json = $null }
        return @{ Status = [int] $response.StatusCode; Json = $json }
    } catch {
        return @{ Status = 0; Json = $null }
    }
}
# Request, repeated while the answer is transient (000, 404, 5xx) and time remains.
function RequestUntilSettled([string] $What, [string] $Method, [string] $Uri, $Body = $null, [hashtable] $Headers = @{}) {
    while ($true) {
        $answer = Request $Method $Uri $Body $Headers
        $transient = $answer.Status -eq 0 -or $answer.Status -eq 404 -or $answer.Status -ge 500
        if (-not $transient -or (Get-Date) -ge $script:deadline) { return $answer }
        [Console]::Error.WriteLine("      $What answered $($answer.Status), retrying in $($script:interval)s")
        Start-Sleep -Seconds $script:interval
    }
}
function Field($Json, [string] $Name) {
    if ($null -eq $Json -or -not ($Json.PSObject.Properties.Name -contains $Name)) { return $null }
    return $Json.$Name
}

if ($env:SMOKE_TEST_SKIP -eq 'true') {
    Write-Host 'postdeploy smoke test SKIPPED (SMOKE_TEST_SKIP=true): nothing below was checked.'
    exit 0
}
if (-not (Get-Command az -ErrorAction SilentlyContinue)) { Fail 'az is not on PATH' }

$base = Setting 'FUNCTION_BASE_URL'
$issuer = Setting 'JWT_ISSUER'
$jwksUri = Setting 'JWKS_URI'
$appIdUri = Setting 'ENTRA_APP_ID_URI'
$audience = Setting 'INBOUND_AUDIENCE'
$workflowId = Setting 'VERIFY_INBOUND_WORKFLOW_ID'
$script:interval = if ($env:SMOKE_TEST_RETRY_SECONDS) { [int] $env:SMOKE_TEST_RETRY_SECONDS } else { 10 }
$timeout = if ($env:SMOKE_TEST_TIMEOUT_SECONDS) { [int] $env:SMOKE_TEST_TIMEOUT_SECONDS } else { 300 }
$script:deadline = (Get-Date).AddSeconds($timeout)
$subject = 'azd-smoke-test'

Step 1 "GET $base/api/health"
$health = RequestUntilSettled 'health' GET "$base/api/health"
if ($health.Status -ne 200) { Fail "/api/health answered $($health.Status) (not 200)" }
Write-Host "      200, status $(Field $health.Json 'status')"

Step 2 "GET $base/api/.well-known/openid-configuration"
$discovery = RequestUntilSettled 'discovery' GET "$base/api/.well-known/openid-configuration"
if ($discovery.Status -ne 200) { Fail "discovery answered $($discovery.Status)" }
if ((Field $discovery.Json 'issuer') -ne $issuer) { Fail "discovery issuer is not JWT_ISSUER ($issuer)" }
if ((Field $discovery.Json 'jwks_uri') -ne $jwksUri) { Fail "discovery jwks_uri is not JWKS_URI ($jwksUri)" }
Write-Host "      issuer $issuer, jwks_uri $jwksUri"

Step 3 "GET $jwksUri"
$jwks = RequestUntilSettled 'JWKS' GET $jwksUri
if ($jwks.Status -ne 200) { Fail "the JWKS answered $($jwks.Status)" }
$keys = Field $jwks.Json 'keys'
if (-not $keys) { Fail 'the JWKS lists no key' }
$kids = @($keys | ForEach-Object { $_.kid })
Write-Host "      keys: $($kids -join ' ')"

Step 4 "POST $base/api/sign as the deploying principal (aud $audience, sub $subject)"
while ($true) {
    $accessToken = (& az account get-access-token --resource $appIdUri --query accessToken --output tsv 2>$null)
    if ($LASTEXITCODE -eq 0 -and $accessToken) { break }
    if ((Get-Date) -ge $script:deadline) { Fail "az account get-access-token --resource $appIdUri failed" }
    [Console]::Error.WriteLine("      no token for $appIdUri yet (app role assignments take a few minutes), retrying in $($script:interval)s")
    Start-Sleep -Seconds $script:interval
}
$authorization = @{ Authorization = "Bearer $("$accessToken".Trim())" }
$signed = RequestUntilSettled 'sign' POST "$base/api/sign" @{ claims = @{ aud = $audience; sub = $subject }; ttlSeconds = 120 } $authorization
if ($signed.Status -ne 200) { Fail "/api/sign answered $($signed.Status): $(Field $signed.Json 'code') $(Field $signed.Json 'detail')" }
$kid = Field $signed.Json 'kid'
if ($kids -notcontains $kid) { Fail "the token's kid $kid is not in the JWKS" }
$token = Field $signed.Json 'token'
if (-not $token) { Fail '/api/sign answered no token' }
Write-Host "      200, kid $kid, expires $(Field $signed.Json 'expiresAt')"

Step 5 "POST $base/api/verify (audience $audience)"
$verified = RequestUntilSettled 'verify' POST "$base/api/verify" @{ token = $token; audience = $audience } $authorization
if ($verified.Status -ne 200) { Fail "/api/verify answered $($verified.Status)" }
if ((Field $verified.Json 'active') -ne $true) { Fail "/api/verify says the token is not active: $(Field $verified.Json 'error')" }
if ((Field $verified.Json 'aud') -ne $audience) { Fail "the verified aud is not $audience" }
if ((Field $verified.Json 'sub') -ne $subject) { Fail "the verified sub is not $subject" }
if ((Field $verified.Json 'iss') -ne $issuer) { Fail "the verified iss is not $issuer" }
Write-Host "      active, aud $audience, sub $subject"

Step 6 "verify-inbound with that token (callback URL from az rest ... listCallbackUrl)"
$callbackUrl = (& az rest --method post --uri "$workflowId/triggers/manual/listCallbackUrl?api-version=2019-05-01" --query value --output tsv 2>$null)
if ($LASTEXITCODE -ne 0 -or -not $callbackUrl) { Fail "az rest ... listCallbackUrl failed for $workflowId" }
$callbackUrl = "$callbackUrl".Trim()
$accepted = RequestUntilSettled 'verify-inbound' POST $callbackUrl @{ token = $token; payload = @{ smokeTest = $true } }
if ($accepted.Status -ne 200) { Fail "verify-inbound answered $($accepted.Status) to a valid token" }
if ((Field $accepted.Json 'status') -ne 'accepted') { Fail 'verify-inbound did not accept a valid token' }
if ((Field $accepted.Json 'sub') -ne $subject) { Fail 'verify-inbound accepted it for another subject' }
Write-Host "      200 accepted, sub $subject"

Step 7 'verify-inbound with the same token, signature tampered'
$cut = $token.LastIndexOf('.') + 1
$tampered = $token.Substring(0, $cut) + $(if ($token[$cut] -eq 'A') { 'B' } else { 'A' }) + $token.Substring($cut + 1)
$refused = RequestUntilSettled 'verify-inbound' POST $callbackUrl @{ token = $tampered; payload = @{ smokeTest = $true } }
if ($refused.Status -ne 401) { Fail "verify-inbound answered $($refused.Status) to a tampered token (not 401)" }
Write-Host "      401, reason $(Field $refused.Json 'reason')"

Write-Host "postdeploy smoke test passed: health, discovery, JWKS, sign, verify and verify-inbound (valid and tampered) on $base"
