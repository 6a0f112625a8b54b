"""Classification sampling speed: meta-batches per second of every family, and folder decoding speed.

Each family samples ``--meta-batch`` tasks of ``--ways``-way ``--shots``-shot with ``--queries``
queries per class (default 32 x 5-way x (1 + 15), Finn et al.'s Omniglot setting); the median of
``--repeats`` timed calls after a warm-up is reported as meta-batches/s and episodes/s. The image
folders are generated first in a temporary directory: an Omniglot-shaped folder of 105 x 105
one-bit PNGs (``--folder-classes`` characters x 20 drawings), decoded to 28 x 28 grey (the first
decode is the folder's one-off cost, reported as images/s), and a flat folder of 84 x 84 JPEGs
decoded to RGB.

    python benchmarks/classification_sampling.py [--threads 1] [--device cpu] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from maml_gui.core.tasks.classification import (CLASSIFICATION_FAMILIES, FOLDER_FAMILIES,  # noqa: E402
                                                ClassificationSpec, build_classification_family)


def make_omniglot_like(root: Path, classes: int, drawings: int = 20) -> None:
    rng = np.random.default_rng(0)
    for c in range(classes):
        folder = root / "images_background" / f"Alphabet{c // 20:02d}" / f"character{c % 20 + 1:02d}"
        folder.mkdir(parents=True)
        for d in range(drawings):
            pixels = np.full((105, 105), 255, np.uint8)
            x, y = rng.integers(10, 70, 2)
            pixels[y:y + 30, x:x + 4] = 0
            pixels[y:y + 4, x:x + 30] = 0
            Image.fromarray(pixels).convert("1").save(folder / f"{c:04d}_{d:02d}.png")


def make_flat_jpegs(root: Path, classes: int, images: int) -> None:
    rng = np.random.default_rng(0)
    for c in range(classes):
        (root / f"n{c:04d}").mkdir(parents=True)
        for i in range(images):
            Image.fromarray(rng.integers(0, 255, (84, 84, 3), dtype=np.uint8)).save(root / f"n{c:04d}" / f"{i}.jpg")


def time_sampling(family, args, spec: ClassificationSpec) -> float:
    generator = torch.Generator(device=args.device).manual_seed(0)
    family.sample(args.meta_batch, spec.ways, spec.shots, spec.queries, generator, args.device)
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        batch = family.sample(args.meta_batch, spec.ways, spec.shots, spec.queries, generator, args.device)
        batch.x_query.sum().item()   # waits for the device
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meta-batch", type=int, default=32)
    parser.add_argument("--ways", type=int, default=5)
    parser.add_argument("--shots", type=int, default=1)
    parser.add_argument("--queries", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--folder-classes", type=int, default=100)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"{args.meta_batch} tasks x {args.ways}-way x ({args.shots} + {args.queries}) on {args.device}, "
          f"{args.threads} thread(s)")
    print(f"{'family':14s} {'input':>12s} {'ms/meta-batch':>14s} {'meta-batches/s':>15s} {'episodes/s':>11s}")
    with tempfile.TemporaryDirectory() as temporary:
        omniglot, flat = Path(temporary) / "omniglot", Path(temporary) / "flat"
        make_omniglot_like(omniglot, args.folder_classes)
        make_flat_jpegs(flat, 30, 30)
        roots = {"omniglot": (omniglot, 28, 1), "folder": (flat, 84, 3), "miniimagenet": None}
        for name in CLASSIFICATION_FAMILIES:
            size, channels, root = 28, 1, ""
            if name in FOLDER_FAMILIES:
                if roots[name] is None:
                    continue   # same sampler as "folder"
                root, size, channels = roots[name]
            spec = ClassificationSpec(family=name, ways=args.ways, shots=args.shots, queries=args.queries,
                                      image_size=size, channels=channels, root=str(root))
            start = time.perf_counter()
            family = build_classification_family(spec)
            built = time.perf_counter() - start
            seconds = time_sampling(family, args, spec)
            shape = "x".join(map(str, family.input_shape))
            print(f"{name:14s} {shape:>12s} {seconds * 1e3:14.1f} {1 / seconds:15.2f} {args.meta_batch / seconds:11.0f}")
            if name in FOLDER_FAMILIES:
                count = family.images.shape[0]
                print(f"{'':14s} decoded {count} images in {built:.2f} s: {count / built:.0f} images/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
