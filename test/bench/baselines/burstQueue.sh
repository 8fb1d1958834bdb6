#!/usr/bin/env bash
# Baseline for the "burst" benchmark: the folder queue's happy path as a shell loop, one file
# at a time — mv to underprocess/, awk the default pipeline's triage rule into results/, mv to
# processed/. Three processes per file (mv, awk, mv): what a cron job would do.
# Same output as the built-in default pipeline on ASCII input (awk has no \b: a whole word is
# delimited by a non-[A-Za-z0-9_] character or the line's ends, which is what \b means for
# these ASCII tokens; the leftmost such match is the first whole-word level token).
#
# Usage: bash burstQueue.sh ROOT      (flat inbox: files directly in unprocessed/)
set -euo pipefail
root=$1
AWK=${AWK:-awk}
mkdir -p "$root/underprocess" "$root/processed" "$root/results"
cd "$root/unprocessed"
for name in *; do
  [ -f "$name" ] || continue
  mv "$name" "../underprocess/$name"
  LC_ALL=C "$AWK" -v name="$name" '
    {
      line = $0
      sub(/\r$/, "", line)
      # The leftmost level token with a non-word character (or the line end) on both sides.
      if (match(line, /(^|[^A-Za-z0-9_])(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|SEVERE|CRITICAL|CRIT|FATAL|EMERG|ALERT)([^A-Za-z0-9_]|$)/)) {
        level = substr(line, RSTART, RLENGTH)
        gsub(/[^A-Z]/, "", level)
        if (level !~ /^(TRACE|DEBUG|INFO|NOTICE)$/) print name ":" NR ": " line
      }
    }' "../underprocess/$name" > "../results/$name"
  mv "../underprocess/$name" "../processed/$name"
done
