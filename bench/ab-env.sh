#!/usr/bin/env bash
# On the GPU machine (carry [".gpu"], after bench/stage-gpu.sh): one staged tool under two or more values of one
# environment variable (a schedule switch such as SAGE_PREPROCESS_K), the values alternating in every round, so that every
# side sees the same card, clock and temperature.
#   bash bench/ab-env.sh [-r ROUNDS] VARIABLE VALUE1 VALUE2 [VALUE...] [-- sage bench arguments]
# VARIABLE "env": each value is itself a space-separated list of NAME=VALUE assignments (several switches per side; a
# macro list for SAGE_PREPROCESS_DEFINES then takes commas), e.g. "SAGE_PREPROCESS_K=one-pass SAGE_PREPROCESS_DEFINES=SAGE_A=1,SAGE_B=2".
# $OUT/ab-env.jsonl: every `sage bench --json` row with its value and round; $OUT/ab-env.txt (printed last): per case the
# median pre-processing and e2e ms of each value and the e2e gain of each value after the first against the first.
# Bench arguments default to --seq 2048 --head-dim 128 --p-encoding LogLinear. RUNNER replaces `bash .gpu/run`.
set -uo pipefail
rounds=3
[ "${1:-}" = "-r" ] && { rounds=${2:?-r needs a number}; shift 2; }
var=${1:?usage: ab-env.sh [-r ROUNDS] VARIABLE VALUE1 VALUE2 [...] [-- bench args]}; shift
values=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do values+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ ${#values[@]} -ge 2 ] || { echo "ab-env: need at least two values of $var" >&2; exit 2; }
bench_args=("$@"); [ ${#bench_args[@]} -gt 0 ] || bench_args=(--seq 2048 --head-dim 128 --p-encoding LogLinear)
run=${RUNNER:-bash .gpu/run}
out=${OUT:-/tmp/ab-env}; mkdir -p "$out"
: > "$out/ab-env.jsonl"
for round in $(seq 1 "$rounds"); do
  for value in "${values[@]}"; do
    if [ "$var" = env ]; then read -r -a assignments <<< "$value"; else assignments=("$var=$value"); fi
    json=$(env "${assignments[@]}" $run sage bench --json "${bench_args[@]}" 2>>"$out/ab-env.err")
    rc=$?
    [ $rc -eq 0 ] || { echo "ab-env: $var=$value round $round failed ($rc); see $out/ab-env.err" >&2; continue; }
    VALUE=$value ROUND=$round python3 -c '
import json, os, sys
for row in json.load(sys.stdin):
    row["abValue"], row["abRound"] = os.environ["VALUE"], int(os.environ["ROUND"])
    print(json.dumps(row))' <<<"$json" >> "$out/ab-env.jsonl"
  done
done
python3 - "$out/ab-env.jsonl" "$var" "${values[@]}" <<'PY' | tee "$out/ab-env.txt"
import json, statistics, sys
path, var, values = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = [json.loads(l) for l in open(path) if l.strip()]
cases = sorted({(r["headDim"], r["n"], r["causal"]) for r in rows})
def med(d, n, c, v, key):
    xs = [r[key] for r in rows if (r["headDim"], r["n"], r["causal"], r["abValue"]) == (d, n, c, v) and r.get(key) is not None]
    return statistics.median(xs) if xs else float("nan")
print(f"{var}: medians over rounds, ms (pre / e2e); gain = e2e of {values[0]} / e2e of the value - 1")
head = "| d | N | causal | " + " | ".join(f"{v}: pre / e2e" for v in values) + " | " + " | ".join(f"gain {v}" for v in values[1:]) + " |"
print(head); print("|" + "---|" * (3 + 2 * len(values) - 1))
for d, n, c in cases:
    cells = [f"{med(d, n, c, v, 'preprocessMs'):.4f} / {med(d, n, c, v, 'endToEndMs'):.4f}" for v in values]
    base = med(d, n, c, values[0], "endToEndMs")
    gains = [f"{(base / med(d, n, c, v, 'endToEndMs') - 1) * 100:+.1f} %" for v in values[1:]]
    print(f"| {d} | {n} | {'yes' if c else 'no'} | " + " | ".join(cells) + " | " + " | ".join(gains) + " |")
PY
