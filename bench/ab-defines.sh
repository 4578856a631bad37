#!/usr/bin/env bash
# On the GPU machine (carry [".gpu", ".kcache.tgz"], after bench/stage-gpu.sh and bench/kernel-cache.sh load; there kernel-cache.sh unpack first): main's
# kernels against variants of the main loop compiled with SAGE_KERNEL_DEFINES, in one call and one staging.
#   bash bench/ab-defines.sh [-r ROUNDS] [-t] VARIANT ... [-- sage bench arguments]
# VARIANT: a SAGE_KERNEL_DEFINES value, e.g. SAGE_EPILOGUE_STAGED=1 (quote several macros: "SAGE_A=1 SAGE_B=2").
#   1. `sage kernels --json` for main and every variant, in parallel (NVRTC: 150-250 s), each variant into a kernel cache
#      of its own seeded with main's entries, so that only main's entries come back (bench/kernel-cache.sh save) and the
#      backend's pre-processing, compiled without the macros, hits there too. $OUT/kernels.txt: every kernel whose
#      registers, local memory, spill instructions or instruction count differ from main's.
#   2. -t: AttentionBitExactTests and LogLinearBitExactTests under every variant ($OUT/tests.log, $OUT/counts.txt).
#   3. ROUNDS (default 3) rounds of `sage bench --json`, main then each variant ($OUT/ab.jsonl), and a table of the
#      medians with each variant's kernel change against main ($OUT/ab.txt, printed last).
# Bench arguments default to --seq 2048,4096,8192 --head-dim 128,64 --p-encoding LogLinear. Sessions 25-26 ran this by
# hand (docs/results/gpu-run-session26-2026-11-27.md, calls 1 and 3); RUNNER replaces `bash .gpu/run` (tests of the script).
set -uo pipefail
rounds=3 tests=0 variants=()
while [ $# -gt 0 ]; do
  case "$1" in
    -r) rounds=${2:?-r needs a number}; shift 2 ;;
    -t) tests=1; shift ;;
    --) shift; break ;;
    *) variants+=("$1"); shift ;;
  esac
done
[ ${#variants[@]} -gt 0 ] || { echo "usage: ab-defines.sh [-r ROUNDS] [-t] VARIANT ... [-- sage bench arguments]" >&2; exit 2; }
bench_args=("$@"); [ ${#bench_args[@]} -gt 0 ] || bench_args=(--seq 2048,4096,8192 --head-dim 128,64 --p-encoding LogLinear)
run=${RUNNER:-bash .gpu/run}
out=${OUT:-/tmp/ab-defines}; mkdir -p "$out"
main_cache=${SAGE_CUDA_CACHE:-$PWD/.kcache}; mkdir -p "$main_cache"
scratch=$(mktemp -d)
cache_of() { if [ "$1" = 0 ]; then echo "$main_cache"; else echo "$scratch/cache$1"; fi; }
defines_of() { if [ "$1" = 0 ]; then echo ""; else echo "${variants[$(($1 - 1))]}"; fi; }
name_of() { if [ "$1" = 0 ]; then echo main; else defines_of "$1"; fi; }
sides=$(seq 0 ${#variants[@]})
t0=$(date +%s); log() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a "$out/log.txt"; }

$run sage --help > /dev/null 2>&1 # the runtime unpacks once, before the parallel runs
for v in $sides; do
  d=$(defines_of "$v"); mkdir -p "$(cache_of "$v")"
  # shellcheck disable=SC2086 # each macro of a variant is its own --define
  SAGE_CUDA_CACHE=$(cache_of "$v") $run sage kernels --filter 'sage_attention_d(128|64)' --json \
    $(for m in $d; do echo "--define $m"; done) > "$scratch/kernels$v.json" 2> "$scratch/kernels$v.err" &
done
wait
for v in $sides; do [ "$v" = 0 ] || cp -n "$main_cache"/*.kernel "$(cache_of "$v")"/ 2>/dev/null; done
log "kernels compiled"
python3 - "$scratch" ${#variants[@]} "${variants[@]}" > "$out/kernels.txt" <<'PY'
import json, sys, os
scratch, n, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def load(v):
    try: return json.load(open(os.path.join(scratch, f"kernels{v}.json")))
    except Exception as e: print(f"side {v}: no kernels ({e}); see the run's stderr"); return []
key = lambda k: (k["program"], k["kernel"])
fields = ("registers", "localBytes", "localAccesses", "instructions")
main = {key(k): k for k in load(0)}
print(f"{len(main)} kernels of main; registers / local bytes / spill instructions / instructions where a variant differs")
for v in range(1, n + 1):
    rows = [(key(k), main.get(key(k)), k) for k in load(v)]
    changed = [(kk, a, b) for kk, a, b in rows if a is None or any(a[f] != b[f] for f in fields)]
    print(f"== {names[v - 1]}: {len(changed)} of {len(rows)} kernels differ")
    for (prog, name), a, b in changed:
        fmt = lambda k: "-" if k is None else "/".join(str(k[f]) for f in fields)
        print(f"  {prog:30s} {name:48s} {fmt(a):>22s} -> {fmt(b)}")
PY
cat "$out/kernels.txt"

if [ "$tests" = 1 ]; then
  for v in $sides; do
    [ "$v" = 0 ] && continue
    mkdir -p "$scratch/report$v"
    SAGE_CUDA_CACHE=$(cache_of "$v") SAGE_KERNEL_DEFINES=$(defines_of "$v") SAGE_TEST_REPORT_DIR=$scratch/report$v \
      $run Sage.Gpu.Tests -class Sage.Gpu.Tests.Attention.AttentionBitExactTests \
      -class Sage.Gpu.Tests.Attention.LogLinearBitExactTests > "$scratch/tests$v.log" 2>&1
    rc=$?
    { echo "== $(name_of "$v"): exit $rc"; grep -E "Total: [0-9]+" "$scratch/tests$v.log" | tail -1; grep -B2 -A12 "\[FAIL\]" "$scratch/tests$v.log" | head -60; } >> "$out/tests.log"
    { echo "== $(name_of "$v")"; cat "$scratch/report$v"/*.txt 2>/dev/null; } >> "$out/counts.txt"
    mismatches=$(perl -ne '$m += $1 if /(\d+) mismatches/; END { print $m + 0 }' "$scratch/report$v"/*.txt 2>/dev/null)
    log "bit-exact classes under $(name_of "$v"): exit $rc, $(grep -c compared "$scratch/report$v"/*.txt 2>/dev/null | awk -F: '{s += $NF} END {print s + 0}') lines, $mismatches mismatches"
  done
fi

: > "$out/ab.jsonl"
for r in $(seq 1 "$rounds"); do
  for v in $sides; do
    d=$(defines_of "$v")
    SAGE_CUDA_CACHE=$(cache_of "$v") SAGE_KERNEL_DEFINES=$d $run sage bench "${bench_args[@]}" --json 2>> "$out/log.txt" \
      | python3 -c "import json, sys; [print(json.dumps(dict(x, side=sys.argv[1], round=int(sys.argv[2])))) for x in json.load(sys.stdin)]" \
        "$(name_of "$v")" "$r" >> "$out/ab.jsonl"
  done
  log "round $r"
done
python3 - "$out/ab.jsonl" "main" "${variants[@]}" > "$out/ab.txt" <<'PY'
import json, sys, statistics as st, collections as c
path, sides = sys.argv[1], sys.argv[2:]
g = c.defaultdict(list)
for line in open(path):
    if line.strip():
        r = json.loads(line)
        g[(r["pv"], r["p"], r["headDim"], r["n"], r["causal"], r["side"])].append((r["kernelMs"], r["endToEndMs"]))
print("kernel / e2e ms, medians over the rounds; % = kernel against main")
print(f"{'pv':14s} {'p':9s} {'d':>3s} {'N':>6s} {'causal':6s} " + " ".join(f"{s[:24]:>24s}" for s in sides))
for k in sorted({k[:5] for k in g}):
    base = g.get(k + ("main",))
    cells = []
    for s in sides:
        xs = g.get(k + (s,))
        if not xs: cells.append(f"{'-':>24s}"); continue
        km, em = st.median(x[0] for x in xs), st.median(x[1] for x in xs)
        pct = "" if s == "main" or not base else f" {100 * (km / st.median(x[0] for x in base) - 1):+.1f}%"
        cells.append(f"{f'{km:.3f} / {em:.3f}{pct}':>24s}")
    print(f"{k[0]:14s} {k[1]:9s} {k[2]:>3d} {k[3]:>6d} {str(k[4]):6s} " + " ".join(cells))
PY
OUT=$out SAGE_CUDA_CACHE=$main_cache bash "$(dirname "$0")/kernel-cache.sh" save 2>&1 | tee -a "$out/log.txt"
rm -rf "$scratch"
cat "$out/ab.txt"
