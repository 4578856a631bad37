#!/usr/bin/env bash
# NVRTC's output kept from one device call to the next. Each call starts on a fresh machine, and compiling the
# main-loop kernels takes minutes of it (2-12 s each, 54 of them); an entry is keyed by the source's hash, the NVRTC
# options and version (KernelCacheKey), so only changed kernels recompile.
#   On the GPU machine, first:  bash bench/kernel-cache.sh unpack; export SAGE_CUDA_CACHE=$PWD/.kcache
#                        last:  bash bench/kernel-cache.sh save          (the entries as one file, $OUT/kcache.tgz)
#   Here, after the call:       bash bench/kernel-cache.sh load FILES_AT (the reply's files_at folder; merged into the
#                               .kcache.tgz already here)
# and carry [".gpu", ".kcache.tgz"]. The archive travels, not the entries: it counts toward the 64 MiB that travels
# beside .gpu's ≈ 46 MiB, and cubins compress about fivefold. Only the entries in use travel: `unpack` dates every
# entry to 2000-01-01, KernelCache sets an entry's time to now when a call reads it (a hit) or writes it, and `save`
# keeps the entries dated after that: those the call used, up to 1 MiB each. Larger entries stay behind: the whole
# main-loop programs (3.6 MB each; calls compile one kernel per module since session 49, and only the SASS and compile
# tests build the whole program, which they do without the cache) and the fused pre-processing program (2.7 MB,
# compiled in under a second).
set -euo pipefail
root=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
case "${1:-}" in
  save)
    out=${OUT:?save runs on the GPU machine, where OUT is set}
    dir=${SAGE_CUDA_CACHE:-$root/.kcache}
    used=$(cd "$dir" 2>/dev/null && find . -maxdepth 1 -name '*.kernel' -newermt 2001-01-01 -size -1024k | sort)
    if [ -n "$used" ]; then
      (cd "$dir" && echo "$used" | tar -czf "$out/kcache.tgz" -T -)
      echo "kernel-cache: $(echo "$used" | wc -l) entries used by this call, $(du -h "$out/kcache.tgz" | cut -f1) in \$OUT/kcache.tgz"
    else
      echo "kernel-cache: no entries in $dir (was SAGE_CUDA_CACHE exported before the programs ran?)"
    fi ;;
  load)
    from=${2:?usage: kernel-cache.sh load FILES_AT}
    [ -f "$from/kcache.tgz" ] || { echo "kernel-cache: no kcache.tgz in $from"; exit 1; }
    # Merged into the archive already here, so that a call which used few entries does not drop the others (an entry is
    # keyed by everything that shapes its code, so an older one is never wrong, at worst unused).
    merge=$(mktemp -d)
    trap 'rm -rf "$merge" "$merge.tgz"' EXIT
    if [ -f "$root/.kcache.tgz" ]; then tar -xzf "$root/.kcache.tgz" -C "$merge"; fi
    tar -xzf "$from/kcache.tgz" -C "$merge"
    # Written beside, then moved: a failed merge leaves the archive here as it was.
    (cd "$merge" && find . -maxdepth 1 -name '*.kernel' | sort | tar -czf "$merge.tgz" -T -)
    mv -f "$merge.tgz" "$root/.kcache.tgz"
    grep -qx '/.kcache.tgz' "$root/.git/info/exclude" 2>/dev/null || echo '/.kcache.tgz' >> "$root/.git/info/exclude"
    echo "kernel-cache: $(tar -tzf "$root/.kcache.tgz" | grep -c '\.kernel$') entries, $(du -h "$root/.kcache.tgz" | cut -f1) in .kcache.tgz (carry it)" ;;
  unpack)
    dir=${SAGE_CUDA_CACHE:-$root/.kcache}
    mkdir -p "$dir"
    if [ -f "$root/.kcache.tgz" ]; then
      tar -xzf "$root/.kcache.tgz" -C "$dir"
      find "$dir" -maxdepth 1 -name '*.kernel' -exec touch -m -d 2000-01-01 {} + # `save` keeps those this call re-dates
      echo "kernel-cache: $(find "$dir" -maxdepth 1 -name '*.kernel' | wc -l) entries in $dir"
    else
      echo "kernel-cache: no .kcache.tgz carried; $dir starts empty"
    fi ;;
  *) echo "usage: kernel-cache.sh unpack | save | load FILES_AT" >&2; exit 2 ;;
esac
