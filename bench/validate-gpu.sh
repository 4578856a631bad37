#!/usr/bin/env bash
# On the GPU machine (carry [".gpu"], after bench/stage-gpu.sh): the whole bit-exact record of a tree in one call.
#   1. the whole Sage.Gpu.Tests, count lines in $OUT/attention-counts.txt and $OUT/preprocess-counts.txt, per-test times in
#      $OUT/suite.xml (the slowest classes and tests printed at the end, bench/slowest-tests.py);
#   2. the shared CTA forced (SAGE_MAIN_LOOP=share) through the attention bit-exact classes (Exp2 and LogLinear), counts
#      in $OUT/share/;
#   3. sage verify;
#   4. sage kernels for the d = 128 main loop (registers, spills, R2UR: compare with the last record);
# then one summary table. Logs under $OUT (default /tmp/validate).
set -uo pipefail
out=${OUT:-/tmp/validate}
mkdir -p "$out/share"
run="bash .gpu/run"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee "$out/gpu.txt"
counts() { # file → "lines elements bytes mismatches"
  [ -f "$1" ] || { echo "0 0 0 0"; return; }
  perl -ne '$l++ if /compared/; $e+=$1 if /(\d+) elements compared/; $b+=$1 if /(\d+) bytes compared/; $m+=$1 if /(\d+) mismatches/;
            END { printf "%d %d %d %d\n", $l, $e, $b, $m }' "$1"
}
total() { grep -Eo "Total: [0-9]+, Errors: [0-9]+, Failed: [0-9]+, Skipped: [0-9]+" "$1" | tail -1; }
# Each failed test's name and the first lines of its message, colour codes stripped: printed on stdout, so that a call
# whose log files do not all come back (the device returns a limited number of files) still names what failed.
failures() { grep -a -A6 "\[FAIL\]" "$1" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | cut -c1-240 | head -60; }

SAGE_TEST_REPORT_DIR=$out $run Sage.Gpu.Tests -result-xml "$out/suite.xml" > "$out/suite.log" 2>&1; suite=$?
SAGE_TEST_REPORT_DIR=$out/share SAGE_MAIN_LOOP=share $run Sage.Gpu.Tests \
  -class Sage.Gpu.Tests.Attention.AttentionBitExactTests -class Sage.Gpu.Tests.Attention.AttentionBitExactProperties \
  -class Sage.Gpu.Tests.Attention.LogLinearBitExactTests \
  > "$out/share.log" 2>&1; share=$?
$run sage verify > "$out/verify.log" 2>&1; verify=$?
$run sage kernels --program attention_solo --filter 'sage_attention_d128' > "$out/kernels.txt" 2>&1; kernels=$?
cat "$out/kernels.txt"

read -r al ae _ am < <(counts "$out/attention-counts.txt")
read -r pl _ pb pm < <(counts "$out/preprocess-counts.txt")
read -r sl se _ sm < <(counts "$out/share/attention-counts.txt")
echo
printf "%-34s %-8s %s\n" "check" "exit" "result"
printf "%-34s %-8s %s\n" "Sage.Gpu.Tests" "$suite" "$(total "$out/suite.log")"
printf "%-34s %-8s %s\n" "  attention bit-exact" "" "$al lines, $ae elements, $am mismatches"
printf "%-34s %-8s %s\n" "  pre-processing bit-exact" "" "$pl lines, $pb bytes, $pm mismatches"
printf "%-34s %-8s %s\n" "shared CTA forced (3 classes)" "$share" "$(total "$out/share.log"); $sl lines, $se elements, $sm mismatches"
printf "%-34s %-8s %s\n" "sage verify" "$verify" "$(grep -E '^GPU ' "$out/verify.log" | head -1 | cut -c1-110)"
printf "%-34s %-8s %s\n" "sage kernels" "$kernels" "$(tail -1 "$out/kernels.txt")"
[ -f "$out/suite.xml" ] && { echo; python3 bench/slowest-tests.py "$out/suite.xml" 6; }
for log in "$out/suite.log" "$out/share.log"; do
  f=$(failures "$log"); [ -z "$f" ] || printf "\nfailed in %s:\n%s\n" "$(basename "$log")" "$f"
done
[ $suite -eq 0 ] && [ $share -eq 0 ] && [ $verify -eq 0 ] && [ "$am$pm$sm" = "000" ]
