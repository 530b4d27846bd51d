#!/usr/bin/env bash
# Starts `mce` for the browser tests: a fresh SQLite database in a temporary directory,
# the admin the tests sign in with, and the site built by `cargo leptos build`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
bin=$target/debug/mce
[ -x "$bin" ] || { echo "missing $bin: run cargo leptos build first" >&2; exit 1; }
data=$(mktemp -d /tmp/mce-e2e.XXXXXX)
export MCE_DATA_DIR=$data
export DATABASE_URL="sqlite://$data/mce.db"
export MCE_ADDR=127.0.0.1:${MCE_E2E_PORT:-3900}
export LEPTOS_OUTPUT_NAME=mce
export RUST_LOG=${RUST_LOG:-info,sqlx=warn}
# Tests never reach the internet: the Graph API is a closed local port unless a test
# brings its own.
export WHATSAPP_API_BASE=${WHATSAPP_API_BASE:-http://127.0.0.1:9}
export WHATSAPP_APP_SECRET=${WHATSAPP_APP_SECRET:-e2e-app-secret}
# Account mails (invitations, resets, sign-up verification) go to a local SMTP sink that
# writes each message into $data/mail, where the tests read them (helpers.ts lastMail).
mail_dir=$data/mail
smtp_port=$(( ${MCE_E2E_PORT:-3900} + 25 ))
node "$root/end2end/smtp-sink.mjs" "$smtp_port" "$mail_dir" &
sink_pid=$!
export MCE_SMTP_URL="smtp://e2e:e2e@127.0.0.1:$smtp_port"
export MCE_MAIL_FROM="MCE <mce@e2e.test>"
cd "$root"
org_id=$("$bin" admin create --email admin@e2e.test --password e2e-password-1 --org "E2E Org" --name "Erin Admin" | sed -n 's/^org_id=//p')
api_key=$("$bin" api-key create --org "$org_id" --name "e2e" 2>/dev/null | sed -n 's/^api_key=//p')
pid_file=$data/mce.pid
# The tests read the org's API key (REST calls in browser tests) and the server's pid
# (to restart it mid-test) from here.
printf '{"org_id":"%s","api_key":"%s","pid_file":"%s","mail_dir":"%s"}\n' "$org_id" "$api_key" "$pid_file" "$mail_dir" > "$root/end2end/.e2e-state.json"
# The debug WASM is about 24 MB, and compressing it for every new browser context took
# the (unoptimised) server 2.5 s (gzip) to 7 s (brotli): most tests open one. Serve a
# copy of the site with it precompressed (the file handler picks `<file>.gz`). A copy in
# this run's own directory, so no stale .gz is ever left beside a later build.
site=$data/site
cp -r "$root/target/site" "$site"
for f in "$site"/pkg/*.wasm "$site"/pkg/*.js; do
  gzip -kf -6 "$f"
done
export LEPTOS_SITE_ROOT=$site
# Like a process supervisor: when a test stops the server (SIGTERM), it comes back on
# the same database. Stopping this script stops the server for good.
pid=
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; kill -TERM "$sink_pid" 2>/dev/null; wait; exit 0' TERM INT
while true; do
  "$bin" serve &
  pid=$!
  echo "$pid" > "$pid_file"
  wait "$pid" || true
  sleep 0.2
done
