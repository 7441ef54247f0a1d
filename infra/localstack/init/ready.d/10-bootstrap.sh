#!/usr/bin/env bash
# LocalStack "ready" hook: the AWS resources CL3 expects, created once LocalStack is up.
#   - the export bucket (EXPORT_BUCKET), exports expiring after EXPORT_EXPIRY_DAYS days;
#   - the SSM parameters the services read when SSM_PREFIX is set: SUPABASE_JWT_SECRET,
#     SUPABASE_SERVICE_KEY (when given) and MONGODB_URI, as SecureStrings.
# Idempotent: re-running it (a LocalStack restart with persistence) changes nothing.
set -euo pipefail

bucket="${EXPORT_BUCKET:-cl3-exports}"
prefix="${SSM_PREFIX:-/cl3/local}"
prefix="/${prefix#/}"
prefix="${prefix%/}"
expiry_days="${EXPORT_EXPIRY_DAYS:-7}"

if ! awslocal s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; then
  awslocal s3api create-bucket --bucket "$bucket" >/dev/null
  echo "cl3 bootstrap: created bucket s3://$bucket"
fi
awslocal s3api put-bucket-lifecycle-configuration --bucket "$bucket" \
  --lifecycle-configuration "{\"Rules\": [{\"ID\": \"expire-exports\", \"Status\": \"Enabled\",
    \"Filter\": {\"Prefix\": \"exports/\"}, \"Expiration\": {\"Days\": $expiry_days}}]}"

put_secret() {  # name value
  awslocal ssm put-parameter --name "$prefix/$1" --type SecureString --value "$2" \
    --overwrite >/dev/null
  echo "cl3 bootstrap: stored $prefix/$1"
}

: "${SUPABASE_JWT_SECRET:?set SUPABASE_JWT_SECRET for the LocalStack bootstrap}"
: "${MONGODB_URI:?set MONGODB_URI for the LocalStack bootstrap}"
put_secret SUPABASE_JWT_SECRET "$SUPABASE_JWT_SECRET"
put_secret MONGODB_URI "$MONGODB_URI"
if [ -n "${SUPABASE_SERVICE_KEY:-}" ]; then
  put_secret SUPABASE_SERVICE_KEY "$SUPABASE_SERVICE_KEY"
fi
echo "cl3 bootstrap: done"
