#!/usr/bin/env bash
# Fails if muhtar-core's normal (non-dev) dependency tree contains a database driver, an
# SMTP/HTTP client or tokio with I/O features. muhtar-core never does I/O.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg="${1:-muhtar-core}"
tree=$(cargo tree -p "$pkg" -e normal --prefix none -f "{p} {f}" --offline 2>/dev/null \
  || cargo tree -p "$pkg" -e normal --prefix none -f "{p} {f}")
forbidden='^(rusqlite|libsqlite3-sys|sqlx|sqlx-[a-z-]+|postgres|tokio-postgres|mysql|mysql_async|redis|diesel|sea-orm|lettre|reqwest|hyper|ureq|curl|isahc|surf|native-tls|rustls|openssl|mio|socket2|async-std|smol) '
bad=$(printf '%s\n' "$tree" | grep -E "$forbidden" || true)
tokio_io=$(printf '%s\n' "$tree" | grep -E '^tokio ' | grep -E '(net|fs|io-std|io-util|process|signal|full)' || true)
if [ -n "$bad$tokio_io" ]; then
  echo "muhtar-core must not depend on I/O crates; found:" >&2
  printf '%s\n' "$bad" "$tokio_io" | sed '/^$/d' >&2
  exit 1
fi
echo "core dependency guard: ok ($(printf '%s\n' "$tree" | sort -u | wc -l) crates checked)"
