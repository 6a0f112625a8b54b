"""How slow are the first calls of an exported TorchScript model's ``adapt``, and what helps?

Exports the bundled model (``finn2017-sinusoid``, 20,000 iterations) as TorchScript, then, in a
fresh Python process per variant (TorchScript's profiling executor optimises per process, so only
a new process shows what a user of the file sees), times ``torch.jit.load`` and the first calls
of ``adapt`` (5 support points, 10 steps, 200 query points), with ``torch.set_num_threads(1)``:

- ``default``: the file as ``maml-gui export`` writes it;
- ``warmed at export``: ``adapt`` called three times on dummy data before ``torch.jit.save``;
- ``profiling executor off``: ``torch._C._jit_set_profiling_executor(False)`` before loading;
- ``fusion strategy``: ``torch.jit.set_fusion_strategy([("STATIC", 0), ("DYNAMIC", 0)])``;
- ``optimized_execution off``: each call inside ``with torch.jit.optimized_execution(False)``;
- ``optimize_for_inference``: ``torch.jit.optimize_for_inference(torch.jit.freeze(..., preserved_attrs=["adapt"]))``.

    python benchmarks/torchscript_warmup.py [--calls 5] [--repeats 3]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

CHILD = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import torch
torch.set_num_threads(1)
path, variant, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
if variant == "profiling executor off":
    torch._C._jit_set_profiling_executor(False)
if variant == "fusion strategy":
    torch.jit.set_fusion_strategy([("STATIC", 0), ("DYNAMIC", 0)])
started = time.perf_counter()
model = torch.jit.load(path)
if variant == "optimize_for_inference":
    model = torch.jit.optimize_for_inference(torch.jit.freeze(model.eval(), preserved_attrs=["adapt"]))
load_ms = (time.perf_counter() - started) * 1e3
x_support = torch.linspace(-4.0, 4.0, 5).reshape(-1, 1)
y_support = 3.0 * torch.sin(x_support - 1.0)
x_query = torch.linspace(-5.0, 5.0, 200).reshape(-1, 1)
times, outputs = [], []
for _ in range(calls):
    started = time.perf_counter()
    if variant == "optimized_execution off":
        with torch.jit.optimized_execution(False):
            outputs.append(model.adapt(x_support, y_support, x_query, 10, 0.0))
    else:
        outputs.append(model.adapt(x_support, y_support, x_query, 10, 0.0))
    times.append((time.perf_counter() - started) * 1e3)
mse = float(((outputs[-1] - 3.0 * torch.sin(x_query - 1.0)) ** 2).mean())
print(json.dumps({"load_ms": load_ms, "call_ms": times, "mse": mse}))
"""

VARIANTS = ("default", "warmed at export", "profiling executor off", "fusion strategy", "optimized_execution off",
            "optimize_for_inference")


def export_files(folder: Path) -> dict[str, Path]:
    """The bundled model as TorchScript, plain and warmed before saving."""
    import torch

    from maml_gui.core.bundled import load_bundled_model
    from maml_gui.core.export import torchscript_bytes
    from maml_gui.core.export_torchscript import script_snapshot

    snapshot = load_bundled_model().snapshot
    plain = folder / "plain.pt"
    plain.write_bytes(torchscript_bytes(snapshot))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = script_snapshot(snapshot)
        x = torch.linspace(-4.0, 4.0, 5).reshape(-1, 1)
        for _ in range(3):
            module.adapt(x, torch.sin(x), x, 10, 0.0)
        buffer = io.BytesIO()
        torch.jit.save(module, buffer)
    warmed = folder / "warmed.pt"
    warmed.write_bytes(buffer.getvalue())
    return {"plain": plain, "warmed": warmed}


def measure(path: Path, variant: str, calls: int) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), variant, str(calls)], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per variant")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        files = export_files(Path(folder))
        print(f"TorchScript file: {files['plain'].stat().st_size / 1e3:.0f} kB; adapt: 5 points, 10 steps, "
              f"200 queries, 1 thread; median of {args.repeats} fresh processes")
        print(f"{'variant':<26} {'load ms':>9}  " + "  ".join(f"{f'call {i + 1} ms':>11}" for i in range(args.calls))
              + "  query MSE")
        for variant in VARIANTS:
            path = files["warmed" if variant == "warmed at export" else "plain"]
            runs = [measure(path, variant, args.calls) for _ in range(args.repeats)]
            load = statistics.median(r["load_ms"] for r in runs)
            calls = [statistics.median(r["call_ms"][i] for r in runs) for i in range(args.calls)]
            print(f"{variant:<26} {load:>9.1f}  " + "  ".join(f"{c:>11.1f}" for c in calls)
                  + f"  {runs[0]['mse']:.4f}")


if __name__ == "__main__":
    main()
