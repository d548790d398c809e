#!/usr/bin/env python3
"""Turns q8-bench JSON (--benchmark_format=json, any repetitions) into a
Markdown table and a PNG chart of GOPS and % of peak per kernel.

usage: tools/bench_report.py BENCH.json [--markdown OUT.md] [--png OUT.png] [--cpu-time]

With repetitions, the median aggregate of each benchmark is used; without,
the single run. When the run has peer benchmarks (peer/<lib>/gemm/...,
peer/<lib>/dwconv/..., built when oneDNN or XNNPACK is installed), a second
table puts each GEMM and depthwise shape on one row: q8's single-thread GOPS
per ISA beside each peer's (and % of peak for GEMM), and the PNG gets a
third panel with the same as grouped bars. Needs python3-matplotlib for the
PNG only.

--cpu-time: single-thread benchmarks (no /threads:N above 1) get their ms
and GOPS from CPU time instead of wall time, which on a loaded machine (more
runnable threads than cores) is the closer estimate of what the code does;
their % of peak is then against the peak/<isa> rows' CPU-time GOPS (run
with a filter that includes ^peak/; peers against peak/avx512vnni), and is
left out without them. Multi-thread benchmarks keep wall time.
"""
import argparse
import json
import sys


def load_rows(path):
    with open(path) as f:
        data = json.load(f)
    runs = {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        name = b.get("run_name", b["name"])
        kind = b.get("run_type", "iteration")
        if kind == "aggregate" and b.get("aggregate_name") != "median":
            continue
        # Prefer the median aggregate over individual repetitions.
        if kind == "aggregate" or name not in runs:
            runs[name] = b
    rows = []
    for name, b in runs.items():
        rows.append({
            "name": name,
            "ms": b["real_time"] / {"ns": 1e6, "us": 1e3, "ms": 1.0, "s": 1e-3}[b.get("time_unit", "ns")],
            "cpu_ms": b["cpu_time"] / {"ns": 1e6, "us": 1e3, "ms": 1.0, "s": 1e-3}[b.get("time_unit", "ns")],
            "gops": b.get("GOPS"),
            "peak_pct": b.get("peak_pct"),
        })
    return data.get("context", {}), rows


def single_thread(name):
    for part in name.split("/"):
        if part.startswith("threads:") and part != "threads:1":
            return False
    return True


def to_cpu_time(rows):
    """Rescales single-thread rows to CPU time (see --cpu-time)."""
    peaks = {}
    for r in rows:
        parts = r["name"].split("/")
        if parts[0] == "peak" and len(parts) == 2 and r["gops"] is not None and r["cpu_ms"] > 0:
            peaks[parts[1]] = r["gops"] * r["ms"] / r["cpu_ms"]
    for r in rows:
        if not single_thread(r["name"]) or r["cpu_ms"] <= 0:
            continue
        factor = r["ms"] / r["cpu_ms"]
        r["ms"] = r["cpu_ms"]
        if r["gops"] is not None:
            r["gops"] *= factor
        if r["peak_pct"] is not None:
            parts = r["name"].split("/")
            isa = "avx512vnni" if parts[0] == "peer" else parts[1]
            r["peak_pct"] = 100.0 * r["gops"] / peaks[isa] if isa in peaks else None
    return rows


def markdown(context, rows, cpu_time=False):
    load = context.get("load_avg")
    lines = [
        f"q8-bench on {context.get('host_name', '?')}, {context.get('num_cpus', '?')} CPUs, "
        f"{context.get('date', '')}"
        + (f", load average {', '.join(f'{x:.1f}' for x in load)}" if load else "")
        + ("; single-thread rows in CPU time" if cpu_time else ""),
        "",
        "| benchmark | ms | GOPS | % of peak |",
        "|---|---:|---:|---:|",
    ]
    for r in rows:
        gops = f"{r['gops']:.1f}" if r["gops"] is not None else ""
        pct = f"{r['peak_pct']:.1f}" if r["peak_pct"] is not None else ""
        lines.append(f"| `{r['name']}` | {r['ms']:.3f} | {gops} | {pct} |")
    lines += comparison_markdown(rows)
    return "\n".join(lines) + "\n"


def comparison(rows):
    """(columns, table) for the q8-vs-peers view, or None without peers.

    gemm/<isa>/<shape> and dwconv/<isa>/<shape> (single thread) give column
    "q8 <isa>"; peer/<lib>/gemm/<shape> and peer/<lib>/dwconv/<shape> give
    column <lib>. table maps (kind, shape) to {column: row}, in first-seen
    order of shapes.
    """
    if not any(r["name"].startswith("peer/") for r in rows):
        return None
    columns, table = [], {}
    for r in rows:
        parts = r["name"].split("/")
        if parts[0] == "peer" and len(parts) >= 4 and parts[2] in ("gemm", "dwconv"):
            column, kind, shape = parts[1], parts[2], "/".join(parts[3:])
        elif parts[0] in ("gemm", "dwconv") and len(parts) >= 3 and "threads:" not in r["name"]:
            column, kind, shape = "q8 " + parts[1], parts[0], "/".join(parts[2:])
        else:
            continue
        if column not in columns:
            columns.append(column)
        table.setdefault((kind, shape), {})[column] = r
    # q8's ISAs first, in the order the benchmarks ran, then the peers.
    columns = [c for c in columns if c.startswith("q8 ")] + [c for c in columns if not c.startswith("q8 ")]
    return columns, table


def comparison_markdown(rows):
    view = comparison(rows)
    if view is None:
        return []
    columns, table = view
    lines = [
        "",
        "q8 beside its peers, single thread: GOPS (GEMM: and % of the same peak, q8's avx512vnni "
        "peak for the peers)",
        "",
        "| shape | " + " | ".join(f"`{c}`" for c in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for (kind, shape), cells in table.items():
        out = []
        for c in columns:
            r = cells.get(c)
            if r is None or r["gops"] is None:
                out.append("")
            elif r["peak_pct"] is not None:
                out.append(f"{r['gops']:.1f} ({r['peak_pct']:.0f}%)")
            else:
                out.append(f"{r['gops']:.1f}")
        lines.append(f"| `{kind}/{shape}` | " + " | ".join(out) + " |")
    return lines


def chart(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    view = comparison(rows)
    rows = [r for r in rows if r["gops"] is not None]
    height = max(4, 0.28 * len(rows))
    if view is None:
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, height), sharey=True)
    else:
        columns, table = view
        extra = max(4, 0.12 * len(columns) * len(table))
        fig = plt.figure(figsize=(14, height + extra))
        grid = fig.add_gridspec(2, 2, height_ratios=[height, extra])
        ax1 = fig.add_subplot(grid[0, 0])
        ax2 = fig.add_subplot(grid[0, 1], sharey=ax1)
        ax3 = fig.add_subplot(grid[1, :])
        shapes = [f"{kind}/{shape}" for kind, shape in table]
        bar = 0.8 / len(columns)
        for i, c in enumerate(columns):
            ys = [s + (i - (len(columns) - 1) / 2) * bar for s in range(len(shapes))]
            gops = [(cells.get(c) or {}).get("gops") or 0 for cells in table.values()]
            ax3.barh(ys, gops, height=bar, label=c)
        ax3.set_yticks(range(len(shapes)))
        ax3.set_yticklabels(shapes)
        ax3.invert_yaxis()
        ax3.set_xscale("log")
        ax3.set_xlabel("GOPS, single thread (log scale)")
        ax3.legend(loc="lower right")
    names = [r["name"] for r in rows]
    ax1.barh(names, [r["gops"] for r in rows], color="tab:blue")
    ax1.set_xlabel("GOPS")
    ax1.invert_yaxis()
    ax2.barh(names, [r["peak_pct"] or 0 for r in rows], color="tab:orange")
    ax2.set_xlabel("% of peak (GEMM only)")
    ax2.set_xlim(0, max([100] + [r["peak_pct"] or 0 for r in rows]))  # peers on AMX pass 100
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json")
    parser.add_argument("--markdown")
    parser.add_argument("--png")
    parser.add_argument("--cpu-time", action="store_true",
                        help="single-thread ms and GOPS from CPU time (loaded machines)")
    args = parser.parse_args()
    context, rows = load_rows(args.json)
    if not rows:
        sys.exit(f"{args.json}: no benchmark results")
    if args.cpu_time:
        rows = to_cpu_time(rows)
    table = markdown(context, rows, args.cpu_time)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table)
    else:
        sys.stdout.write(table)
    if args.png:
        chart(rows, args.png)


if __name__ == "__main__":
    main()
