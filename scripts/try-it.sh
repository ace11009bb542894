#!/usr/bin/env bash
# Step-up for a payment against a running local service (npm start): enroll an email
# factor, start a transaction with a payment, challenge, read the code from the outbox,
# verify, and print the decoded MFA token. Usage: bash scripts/try-it.sh [base-url]
set -euo pipefail
BASE=${1:-http://localhost:3000}
AUTH=(-u demo:demo-secret -H 'content-type: application/json')
USER_ID="user-$RANDOM"
EMAIL="$USER_ID@example.com"
# js EXPR: evaluates EXPR with `d` bound to the JSON read from stdin.
js() { node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>{const d=JSON.parse(s);console.log(eval(process.argv[1]))})' "$1"; }
last_message() { curl -sf "$BASE/_local/outbox?to=$EMAIL" | js 'd.messages.at(-1).body'; }
code() { last_message | grep -oE '[0-9]{6,8}' | head -1; }

FACTOR=$(curl -sf "${AUTH[@]}" -d "{\"type\":\"email\",\"email\":\"$EMAIL\"}" "$BASE/v1/users/$USER_ID/factors" | js d.factor.id)
curl -sf "${AUTH[@]}" -d "{\"passCode\":\"$(code)\"}" "$BASE/v1/users/$USER_ID/factors/$FACTOR/activate" >/dev/null
echo "1. enrolled and activated $FACTOR for $USER_ID"

STATE=$(curl -sf "${AUTH[@]}" "$BASE/v1/authn" \
  -d "{\"userId\":\"$USER_ID\",\"transaction\":{\"amount\":\"250.00\",\"currency\":\"EUR\",\"payee\":\"ACME Ltd\"},\"consentId\":\"consent-42\"}" | js d.stateToken)
echo "2. started a transaction for a payment"
curl -sf "${AUTH[@]}" -d "{\"stateToken\":\"$STATE\"}" "$BASE/v1/authn/factors/$FACTOR/challenge" >/dev/null
echo "3. challenged; the email says: $(last_message)"

TOKEN=$(curl -sf "${AUTH[@]}" -d "{\"stateToken\":\"$STATE\",\"passCode\":\"$(code)\"}" "$BASE/v1/authn/factors/$FACTOR/verify" | js d.token)
echo "4. verified; the MFA token's claims:"
echo "$TOKEN" | cut -d. -f2 | node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>console.log(JSON.stringify(JSON.parse(Buffer.from(s.trim(),"base64url")),null,2)))'
echo "5. GET /demo/cats with it: HTTP $(curl -s -o /dev/null -w '%{http_code}' -H "authorization: Bearer $TOKEN" "$BASE/demo/cats")"
