#!/usr/bin/env bash
# Real fuzzing, not part of CI (which replays the corpora as ordinary tests): runs every
# cargo-fuzz target of fuzz/ for a bounded time, `bash .ci/fuzz.sh 600` (default 20 s each). Installs cargo-fuzz if missing. The
# stable toolchain runs it with RUSTC_BOOTSTRAP=1 (libFuzzer's instrumentation needs
# nightly flags) and without a sanitizer (the code forbids `unsafe`). A crash leaves its
# input in fuzz/artifacts/<target>/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SECONDS_EACH="${1:-${FUZZ_SECONDS:-20}}"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install --locked --quiet cargo-fuzz
fi
export RUSTC_BOOTSTRAP=1
targets=$(cargo fuzz list)
cargo fuzz build --sanitizer none
for t in $targets; do
  echo "fuzz $t for ${SECONDS_EACH}s"
  mkdir -p "corpus/$t"
  # Work on a copy of the corpus: the seeds in git stay as they are.
  work=$(mktemp -d)
  cp -r "corpus/$t/." "$work/"
  status=0
  cargo fuzz run --sanitizer none "$t" "$work" -- \
    -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 >"$work.log" 2>&1 || status=$?
  grep -E "stat::number_of_executed_units|stat::new_units_added|panicked|SUMMARY" "$work.log" || true
  if [ "$status" -ne 0 ]; then tail -40 "$work.log" >&2; fi
  rm -rf "$work" "$work.log"
  if [ "$status" -ne 0 ]; then
    echo "fuzz target $t failed (exit $status); crashing input in fuzz/artifacts/$t/" >&2
    exit 1
  fi
done
echo "fuzz: all targets ran ${SECONDS_EACH}s without a crash"
