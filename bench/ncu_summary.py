"""One row per profiled launch from `ncu --page raw --csv` (bench/ncu-bench.sh): the numbers session 27 read off the
2K call. Metrics a section did not collect show as '-'."""
import csv
import sys

COLUMNS = [  # (heading, raw metric, format)
    ("us", "gpu__time_duration.sum", "{:.1f}"),
    ("DRAM %", "gpu__dram_throughput.avg.pct_of_peak_sustained_elapsed", "{:.1f}"),
    ("SM %", "sm__throughput.avg.pct_of_peak_sustained_elapsed", "{:.1f}"),
    ("tensor %", "sm__pipe_tensor_cycles_active.avg.pct_of_peak_sustained_elapsed", "{:.1f}"),
    ("occupancy %", "sm__warps_active.avg.pct_of_peak_sustained_active", "{:.1f}"),
    ("waves", "launch__waves_per_multiprocessor", "{:.2f}"),
    ("regs", "launch__registers_per_thread", "{:.0f}"),
]
STALL = "smsp__average_warps_issue_stalled_"


def number(text):
    try:
        return float(text.replace(",", ""))
    except (AttributeError, ValueError):
        return None


def main(path):
    rows = list(csv.reader(open(path, newline="")))
    header = next((i for i, r in enumerate(rows) if "Kernel Name" in r), None)
    if header is None:
        sys.exit(f"ncu_summary: no 'Kernel Name' column in {path}")
    names, data = rows[header], rows[header + 2:]  # the row after the names holds the units
    col = {n: i for i, n in enumerate(names)}
    stalls = [(n[len(STALL):].split("_per_issue_active")[0], i) for n, i in col.items()
              if n.startswith(STALL) and n.endswith("_per_issue_active.ratio")]
    print(f"{'launch':>6} {'kernel':<40} {'grid':>14} " + " ".join(f"{h:>11}" for h, _, _ in COLUMNS) + "  top stalls (cycles per issue)")
    for r in data:
        if len(r) < len(names):
            continue
        cells = []
        for _, metric, fmt in COLUMNS:
            v = number(r[col[metric]]) if metric in col else None
            cells.append(f"{fmt.format(v) if v is not None else '-':>11}")
        top = sorted(((number(r[i]) or 0.0, s) for s, i in stalls), reverse=True)[:3]
        grid = r[col["Grid Size"]] if "Grid Size" in col else "-"
        print(f"{r[col.get('ID', 0)]:>6} {r[col['Kernel Name']][:40]:<40} {grid:>14} " + " ".join(cells) + "  "
              + ", ".join(f"{s} {v:.2f}" for v, s in top if v > 0))


if __name__ == "__main__":
    main(sys.argv[1])
