#!/usr/bin/env bash
# Starts or installs what the tests need: cargo-nextest (the test runner), PostgreSQL
# (local cluster), jq (the README's curl lines), Python's aiosmtpd (the real SMTP server process the e-mail tests start)
# schemathesis (property-based HTTP tests of the OpenAPI document,
# examples/tests/it/hostile.rs), and for the browser tests of the web pages
# (examples/tests/it/web_browser.rs) Debian's chromium and chromium-driver and axe-core's
# axe.min.js (in a cache folder outside the repository, MUHTAR_AXE_JS). Exits non-zero if
# any is unavailable.
set -euo pipefail

# jq: the README's curl lines read a field of a JSON answer with it (the README test runs them).
if ! command -v jq >/dev/null 2>&1; then
  echo "installing jq"
  apt-get install -y -qq jq >/dev/null || { apt-get update -qq && apt-get install -y -qq jq >/dev/null; }
fi
jq --version

if ! cargo nextest --version >/dev/null 2>&1; then
  echo "installing cargo-nextest"
  cargo install --locked --quiet cargo-nextest
fi
cargo nextest --version | head -n1

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 30); do
    pg_isready -h 127.0.0.1 -p 5432 -q && break
    sleep 1
  done
fi
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2
  exit 1
fi
psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE test"
echo "PostgreSQL: ok"

if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  echo "installing aiosmtpd"
  python3 -m pip install --quiet --disable-pip-version-check aiosmtpd
fi
python3 -c 'import aiosmtpd; print("aiosmtpd:", aiosmtpd.__version__)'

SCHEMATHESIS_VERSION=4.32.5
if ! python3 -c "import schemathesis, sys; sys.exit(schemathesis.__version__ != '$SCHEMATHESIS_VERSION')" 2>/dev/null; then
  echo "installing schemathesis $SCHEMATHESIS_VERSION"
  python3 -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
python3 -c 'import schemathesis; print("schemathesis:", schemathesis.__version__)'

# The browser tests: headless Chromium through chromedriver, axe-core injected into each page.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "installing chromium and chromium-driver"
  apt-get install -y -qq chromium chromium-driver >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }
fi
chromedriver --version
AXE_PREFIX="${MUHTAR_AXE_PREFIX:-$HOME/.cache/muhtar-axe}"
AXE_JS="$AXE_PREFIX/node_modules/axe-core/axe.min.js"
if [ ! -f "$AXE_JS" ]; then
  echo "installing axe-core into $AXE_PREFIX"
  if ! command -v npm >/dev/null 2>&1; then
    apt-get install -y -qq npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm >/dev/null; }
  fi
  npm install --silent --no-audit --no-fund --prefix "$AXE_PREFIX" axe-core@4
fi
test -f "$AXE_JS" || { echo "axe-core was not installed: $AXE_JS is missing" >&2; exit 1; }
echo "axe-core: $(node -p "require('$AXE_PREFIX/node_modules/axe-core/package.json').version" 2>/dev/null || echo "$AXE_JS")"
