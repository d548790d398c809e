#!/usr/bin/env python3
"""Runs PyTorch and q8 on the same quantized model files, side by side.

For each model (a .ptl or .pt path, or a torchvision name that
tools/make_models.py generates), on the same random input, at each thread
count:
  - PyTorch with the qnnpack engine (the numerics q8 matches bit for bit)
  - PyTorch with the onednn engine (PyTorch's fastest on x86; other numerics)
  - q8 through build/<preset>/q8-run
Rounds are interleaved (q8, qnnpack, onednn, q8, qnnpack, onednn, ...) so that
machine drift hits all three alike; each round times --repeat runs after a
warm-up and the figure reported is the median over every timed run.

A .ptl runs in PyTorch's lite interpreter, a .pt through torch.jit.load. The
quantized engine is chosen before the model is loaded (weights are packed
for the engine at load), in a worker process per engine that stays alive
across rounds.

Writes a Markdown table (--markdown) and a PNG bar chart (--png, needs
python3-matplotlib). Accuracy columns compare q8 with PyTorch-qnnpack on
the same input: share of exactly equal outputs and the largest difference in
output quantization steps (LSB), the step being estimated as the smallest gap
between distinct PyTorch output values.

usage:
  tools/compare.py [MODEL.ptl ...] [--torchvision mobilenet_v2 resnet18 ...]
                   [--threads 1 2] [--rounds 5] [--repeat 10]
                   [--q8-run build/release/q8-run] [--markdown OUT.md] [--png OUT.png]
A model's input is MODEL.input.npy when that file exists next to it, else
random normal values of --input-shape (default 1,3,224,224).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# The worker: loads one model for one engine, then times runs on request.
WORKER = r"""
import json, sys, time
import numpy as np
import torch
engine, path, input_path = sys.argv[1], sys.argv[2], sys.argv[3]
torch.backends.quantized.engine = engine
if path.endswith(".ptl"):
    from torch.jit.mobile import _load_for_lite_interpreter
    model = _load_for_lite_interpreter(path)
else:
    model = torch.jit.load(path)
    model.eval()
x = torch.from_numpy(np.load(input_path))
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    request = json.loads(line)
    torch.set_num_threads(request["threads"])
    with torch.no_grad():
        y = model(x)  # warm-up
        times = []
        for _ in range(request["repeat"]):
            t0 = time.perf_counter()
            y = model(x)
            times.append((time.perf_counter() - t0) * 1e3)
    if request.get("output"):
        np.save(request["output"], y.numpy().astype(np.float32))
    print(json.dumps({"times": times}), flush=True)
"""


class TorchWorker:
    def __init__(self, engine, model, input_path, python):
        self.engine = engine
        self.proc = subprocess.Popen([python, "-c", WORKER, engine, model, input_path],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = self.proc.stdout.readline()
        if not ready:
            raise RuntimeError(f"PyTorch ({engine}) could not load {model}")

    def time(self, threads, repeat, output=None):
        self.proc.stdin.write(json.dumps({"threads": threads, "repeat": repeat,
                                          "output": output}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"PyTorch ({self.engine}) worker died")
        return json.loads(line)["times"]

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def q8_times(q8_run, model, input_path, output_path, threads, repeat):
    """q8-run prints one 'time_ms ... runs=N' line; --repeat 1 per process
    would time process start, so one process does the warm-up and all runs
    and reports each (--times)."""
    out = subprocess.run([q8_run, model, "--input", input_path, "--output", output_path,
                          "--threads", str(threads), "--repeat", str(repeat), "--times"],
                         check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("times_ms "):
            return [float(t) for t in line.split()[1:]]
    raise RuntimeError(f"q8-run printed no times for {model}:\n{out}")


def accuracy(q8_out, torch_out):
    a = np.load(q8_out).ravel().astype(np.float64)
    b = np.load(torch_out).ravel().astype(np.float64)
    if a.shape != b.shape:
        return 0.0, float("inf")
    distinct = np.unique(b)
    gaps = np.diff(distinct)
    step = gaps[gaps > 0].min() if gaps.size and (gaps > 0).any() else 1.0
    exact = float((a == b).mean() * 100.0)
    max_lsb = float(np.abs(a - b).max() / step) if a.size else 0.0
    return exact, max_lsb


def make_torchvision(names, out_dir, python):
    missing = [n for n in names if not os.path.exists(os.path.join(out_dir, n + ".ptl"))]
    if missing:
        subprocess.run([python, os.path.join(HERE, "make_models.py"), out_dir,
                        "--torchvision", *missing], check=True)
    return [os.path.join(out_dir, n + ".ptl") for n in names]


def input_for(model, shape, work):
    stem = model.rsplit(".", 1)[0]
    if os.path.exists(stem + ".input.npy"):
        return stem + ".input.npy"
    path = os.path.join(work, os.path.basename(stem) + ".input.npy")
    rng = np.random.default_rng(0)
    np.save(path, rng.standard_normal(shape).astype(np.float32))
    return path


def compare(model, args, work):
    name = os.path.basename(model)
    input_path = input_for(model, args.input_shape, work)
    engines = ["qnnpack", "onednn"]
    workers = {e: TorchWorker(e, model, input_path, args.python) for e in engines}
    rows = []
    try:
        for threads in args.threads:
            times = {"q8": [], "qnnpack": [], "onednn": []}
            q8_out = os.path.join(work, f"{name}.q8.npy")
            torch_out = os.path.join(work, f"{name}.torch.npy")
            for r in range(args.rounds):
                times["q8"] += q8_times(args.q8_run, model, input_path, q8_out, threads, args.repeat)
                for e in engines:
                    out = torch_out if (e == "qnnpack" and r == 0) else None
                    times[e] += workers[e].time(threads, args.repeat, out)
            exact, max_lsb = accuracy(q8_out, torch_out)
            med = {k: statistics.median(v) for k, v in times.items()}
            rows.append({"model": name, "threads": threads, "q8_ms": med["q8"],
                         "qnnpack_ms": med["qnnpack"], "onednn_ms": med["onednn"],
                         "vs_qnnpack": med["q8"] / med["qnnpack"],
                         "vs_onednn": med["q8"] / med["onednn"],
                         "exact_pct": exact, "max_lsb": max_lsb,
                         "runs": len(times["q8"])})
            print(f"{name} threads={threads}: q8 {med['q8']:.2f} ms, qnnpack {med['qnnpack']:.2f} ms "
                  f"({rows[-1]['vs_qnnpack']:.3f}x), onednn {med['onednn']:.2f} ms "
                  f"({rows[-1]['vs_onednn']:.3f}x), exact {exact:.2f}%, max {max_lsb:.2f} LSB",
                  flush=True)
    finally:
        for w in workers.values():
            w.close()
    return rows


def markdown(rows):
    lines = ["| model | threads | q8 ms | PyTorch qnnpack ms | q8 / qnnpack | PyTorch onednn ms "
             "| q8 / onednn | exact vs qnnpack | max LSB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['threads']} | {r['q8_ms']:.2f} | {r['qnnpack_ms']:.2f} "
                     f"| {r['vs_qnnpack']:.3f} | {r['onednn_ms']:.2f} | {r['vs_onednn']:.3f} "
                     f"| {r['exact_pct']:.2f}% | {r['max_lsb']:.2f} |")
    return "\n".join(lines) + "\n"


def chart(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels = [f"{r['model']}\n{r['threads']}t" for r in rows]
    x = np.arange(len(rows))
    width = 0.27
    fig, ax = plt.subplots(figsize=(max(6, 1.3 * len(rows)), 4.5))
    for i, (key, label) in enumerate([("q8_ms", "q8"), ("qnnpack_ms", "PyTorch qnnpack"),
                                      ("onednn_ms", "PyTorch onednn")]):
        ax.bar(x + (i - 1) * width, [r[key] for r in rows], width, label=label)
    ax.set_xticks(x)
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylabel("ms per run (median)")
    ax.set_yscale("log")
    ax.legend()
    ax.set_title("q8 vs PyTorch 1 thread / 2 threads, same file, same input")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*")
    parser.add_argument("--torchvision", nargs="*", default=[])
    parser.add_argument("--models-dir", default=os.path.join(ROOT, "build", "models"),
                        help="where generated torchvision models go")
    parser.add_argument("--threads", nargs="*", type=int, default=[1, 2])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--input-shape", default="1,3,224,224")
    parser.add_argument("--q8-run", default=os.path.join(ROOT, "build", "release", "q8-run"))
    parser.add_argument("--python", default="/usr/bin/python3",
                        help="the Python that has torch (Debian's python3-torch)")
    parser.add_argument("--markdown")
    parser.add_argument("--png")
    parser.add_argument("--json")
    args = parser.parse_args()
    args.input_shape = tuple(int(d) for d in args.input_shape.split(","))
    models = list(args.models)
    if args.torchvision:
        os.makedirs(args.models_dir, exist_ok=True)
        models += make_torchvision(args.torchvision, args.models_dir, args.python)
    if not models:
        parser.error("give model paths or --torchvision names")
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for model in models:
            rows += compare(model, args, work)
    table = markdown(rows)
    print(table)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    if args.png:
        chart(rows, args.png)


if __name__ == "__main__":
    sys.exit(main())
