#!/usr/bin/env python3
"""Turns q8-bench JSON (--benchmark_format=json, any repetitions) into a
Markdown table and a PNG chart of GOPS and % of peak per kernel.

usage: tools/bench_report.py BENCH.json [--markdown OUT.md] [--png OUT.png]

With repetitions, the median aggregate of each benchmark is used; without,
the single run. Needs python3-matplotlib for the PNG only.
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
            "gops": b.get("GOPS"),
            "peak_pct": b.get("peak_pct"),
        })
    return data.get("context", {}), rows


def markdown(context, rows):
    lines = [
        f"q8-bench on {context.get('host_name', '?')}, {context.get('num_cpus', '?')} CPUs, "
        f"{context.get('date', '')}",
        "",
        "| benchmark | ms | GOPS | % of peak |",
        "|---|---:|---:|---:|",
    ]
    for r in rows:
        gops = f"{r['gops']:.1f}" if r["gops"] is not None else ""
        pct = f"{r['peak_pct']:.1f}" if r["peak_pct"] is not None else ""
        lines.append(f"| `{r['name']}` | {r['ms']:.3f} | {gops} | {pct} |")
    return "\n".join(lines) + "\n"


def chart(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if r["gops"] is not None]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, max(4, 0.28 * len(rows))), sharey=True)
    names = [r["name"] for r in rows]
    ax1.barh(names, [r["gops"] for r in rows], color="tab:blue")
    ax1.set_xlabel("GOPS")
    ax1.invert_yaxis()
    ax2.barh(names, [r["peak_pct"] or 0 for r in rows], color="tab:orange")
    ax2.set_xlabel("% of peak (GEMM only)")
    ax2.set_xlim(0, 100)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json")
    parser.add_argument("--markdown")
    parser.add_argument("--png")
    args = parser.parse_args()
    context, rows = load_rows(args.json)
    if not rows:
        sys.exit(f"{args.json}: no benchmark results")
    table = markdown(context, rows)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table)
    else:
        sys.stdout.write(table)
    if args.png:
        chart(rows, args.png)


if __name__ == "__main__":
    main()
