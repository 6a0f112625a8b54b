"""Image-folder families: a user's Omniglot, mini-ImageNet or class-per-subfolder dataset.

The folder is decoded once (Pillow; resized to ``image_size`` with LANCZOS, grey or RGB) into an
in-memory uint8 cache ``[images, C, H, W]``; Omniglot is inverted so ink is bright on dark, as
learn2learn does. Episodes are gathered from the cache (moved once to the device that asks).

The class split, seeded by ``split_seed`` and reported by ``split_summary()``:
  omniglot      all characters of both sets, shuffled; the full set (1623 or more) is split
                1100 : 100 : 423 out of 1623 (learn2learn's split sizes; Finn et al. meta-train on
                1200 = train + val), a smaller folder 64 % : 16 % : 20 % like ``folder``
  folder        the subfolders, shuffled, split 64 % : 16 % : 20 % (mini-ImageNet's 64/16/20)
  miniimagenet  the CSV files' split (split_seed unused)
With ``rotations`` every class also comes rotated by 90, 180 and 270 degrees, each a class of its
own within the split of its original (Finn et al.'s augmentation).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
import warnings

import numpy as np
import torch
from PIL import Image

# An image too large to be safe (a "decompression bomb") is an error naming the file, in one line,
# not Pillow's two-line warning printed before it.
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
from torch import Tensor

from .base import ClassificationFamily, ClassificationTaskBatch, ProgressCallback, Split
from .dataset_folders import SPLITS, DatasetListing, ImageClass, split_classes
from .episodes import RandomSource, assemble_episodes, check_episode_sizes, check_split

DECODE_CHUNK = 64   # files per decoding job (and per progress report)


def decode_image(path, image_size: int, channels: int) -> np.ndarray:
    """One file as uint8 ``[size, size, channels]``; ValueError naming the file when it cannot be read."""
    mode = "L" if channels == 1 else "RGB"
    try:
        with Image.open(path) as image:
            image.draft(mode, (image_size, image_size))      # JPEG: decode at a reduced scale when large
            image = image.convert(mode)
            if image.size != (image_size, image_size):
                image = image.resize((image_size, image_size), Image.Resampling.LANCZOS)
            return np.asarray(image).reshape(image_size, image_size, channels)
    except Exception as error:  # noqa: BLE001 - any decoder failure names the file, in one line
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(f"cannot read image {path}: {reason}") from None


def decode_images(classes: tuple[ImageClass, ...], image_size: int, channels: int, invert: bool,
                  progress: ProgressCallback | None = None, workers: int | None = None) -> Tensor:
    """Every file of ``classes`` in order as uint8 ``[images, channels, size, size]``; one-line errors.

    Files are decoded by ``workers`` threads (Pillow releases the GIL while decoding; default: the
    CPU count, at most 8) in chunks; ``progress(done, total)`` is called from the calling thread.
    """
    files = [f for c in classes for f in c.files]
    total = len(files)
    cache = np.empty((total, image_size, image_size, channels), dtype=np.uint8)
    chunks = [range(start, min(start + DECODE_CHUNK, total)) for start in range(0, total, DECODE_CHUNK)]

    def decode_chunk(indices: range) -> int:
        for i in indices:
            cache[i] = decode_image(files[i], image_size, channels)
        return len(indices)

    if progress is not None:
        progress(0, total)
    workers = workers or min(8, os.cpu_count() or 1)
    done = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = [pool.submit(decode_chunk, chunk) for chunk in chunks]
        try:
            for future in pending:          # in order: the first unreadable file is the one reported
                done += future.result()
                if progress is not None:
                    progress(done, total)
        finally:
            for future in pending:
                future.cancel()
    if invert:
        np.subtract(255, cache, out=cache)
    return torch.from_numpy(cache).permute(0, 3, 1, 2).contiguous()


def _count(number: int, word: str, plural: str) -> str:
    return f"{number} {word if number == 1 else plural}"


class ImageFolderFamily(ClassificationFamily):
    """Episodes from a decoded dataset folder (``omniglot``, ``folder`` or ``miniimagenet``)."""

    descriptions = {
        "omniglot": "an Omniglot folder (images_background/, images_evaluation/) at task.root",
        "folder": "a folder with one subfolder of images per class at task.root",
        "miniimagenet": "a mini-ImageNet folder (images/ + train/val/test.csv) at task.root",
    }

    def __init__(self, listing: DatasetListing, image_size: int = 28, channels: int = 1, rotations: bool = False,
                 split_seed: int = 0, progress: ProgressCallback | None = None) -> None:
        self.name = listing.layout
        self.description = self.descriptions[listing.layout]
        self.root = str(listing.root)
        self.rotations = bool(rotations)
        self.split_seed = int(split_seed)
        self.input_shape = (int(channels), int(image_size), int(image_size))
        self.classes = listing.classes
        self.splits = split_classes(listing, split_seed)
        self.images = decode_images(listing.classes, image_size, channels, listing.layout == "omniglot", progress)
        sizes = torch.tensor([len(c.files) for c in listing.classes], dtype=torch.int64)
        self.class_sizes = sizes
        self.class_starts = torch.cumsum(sizes, 0) - sizes
        self._on_device: dict[str, tuple[Tensor, Tensor, Tensor, dict[str, Tensor]]] = {}

    @property
    def turns(self) -> int:
        return 4 if self.rotations else 1

    def class_count(self, split: Split) -> int | None:
        check_split(split)
        return len(self.splits[split]) * self.turns

    def class_names(self, split: Split) -> list[str]:
        check_split(split)
        names = [self.classes[i].name for i in self.splits[split]]
        if not self.rotations:
            return names
        return [f"{name} @{90 * turn}" for name in names for turn in range(4)]

    def split_summary(self) -> dict[str, list[str]]:
        """The class names of each split (before rotations), for the run to store."""
        return {split: [self.classes[i].name for i in self.splits[split]] for split in SPLITS}

    def check_episode(self, ways: int, shots: int, queries: int, split: Split) -> None:
        """Raise ValueError (one line) when ``split`` cannot supply ``ways``-way ``shots``-shot + ``queries``."""
        check_split(split)
        available = self.class_count(split)
        if available < ways:
            raise ValueError(f"split '{split}' has {_count(available, 'class', 'classes')}; {ways}-way needs {ways}")
        members = list(self.splits[split])
        smallest = min(members, key=lambda i: (len(self.classes[i].files), i))
        have = len(self.classes[smallest].files)
        if have < shots + queries:
            raise ValueError(f"class '{self.classes[smallest].name}' has {_count(have, 'image', 'images')}; "
                             f"{_count(shots, 'shot', 'shots')} + {_count(queries, 'query', 'queries')} "
                             f"needs {shots + queries}")

    def _device_tables(self, device: torch.device):
        key = str(device)
        if key not in self._on_device:
            self._on_device[key] = (self.images.to(device), self.class_starts.to(device), self.class_sizes.to(device),
                                    {s: torch.tensor(self.splits[s], dtype=torch.int64, device=device)
                                     for s in SPLITS})
        return self._on_device[key]

    def sample(self, meta_batch: int, ways: int, shots: int, queries: int,
               generator: torch.Generator | None = None, device="cpu",
               split: Split = "train") -> ClassificationTaskBatch:
        check_episode_sizes(meta_batch, ways, shots, queries)
        self.check_episode(ways, shots, queries, split)
        rng = RandomSource(generator, device)
        images, starts, sizes, members = self._device_tables(rng.device)
        chosen = rng.distinct(meta_batch, ways, self.class_count(split))          # [B, N] in the split's pool
        turns = chosen % self.turns
        classes = members[split][chosen // self.turns]                              # [B, N] indices of classes
        per_class = shots + queries
        largest = int(self.class_sizes[list(self.splits[split])].max())
        scores = rng.uniform(meta_batch, ways, largest)
        scores = scores.masked_fill(torch.arange(largest, device=rng.device) >= sizes[classes][..., None], -1.0)
        picks = scores.topk(per_class, dim=-1).indices                             # distinct images per class
        first = starts[classes][..., None]
        parts = []
        for part in (picks[..., :shots], picks[..., shots:]):                      # gathered straight into place
            examples = images[first + part]                                         # uint8 [B, N, K or Q, C, H, W]
            if self.rotations:
                examples = _rotate(examples, turns)
            parts.append(examples.to(torch.float32).div_(255.0))
        return assemble_episodes(parts[0], parts[1], rng.permutations(meta_batch, ways), self, chosen)


def _rotate(examples: Tensor, turns: Tensor) -> Tensor:
    """Rotate the images of class slot ``[b, n]`` by ``turns[b, n]`` quarter-turns."""
    for turn in (1, 2, 3):
        chosen = turns == turn
        if chosen.any():
            examples = torch.where(chosen[:, :, None, None, None, None],
                                   torch.rot90(examples, turn, dims=(-2, -1)), examples)
    return examples
