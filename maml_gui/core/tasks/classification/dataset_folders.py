"""Dataset folders a user has: recognise the layout and list the classes and their image files.

Layouts (image files end in .png, .jpg, .jpeg or .bmp, any case; hidden files are skipped):
  omniglot      root/images_background/<Alphabet>/<character>/*.png and/or root/images_evaluation/...
                (one class per character; both sets are merged, as learn2learn does)
  miniimagenet  root/images/*.jpg + root/train.csv, val.csv, test.csv with a ``filename,label``
                header (Ravi & Larochelle); the CSV a class is listed in is its split
  folder        root/<class>/*.{png,jpg,jpeg,bmp}: one class per subfolder
The folders are only read, never modified.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
import warnings

import torch
from PIL import Image

# An image too large to be safe (a "decompression bomb") is an error naming the file, in one line,
# not Pillow's two-line warning printed before it.
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
OMNIGLOT_SETS = ("images_background", "images_evaluation")
SPLIT_FILES = {"train": "train.csv", "val": "val.csv", "test": "test.csv"}
LAYOUTS = ("omniglot", "miniimagenet", "folder")
SPLITS = ("train", "val", "test")
OMNIGLOT_CLASSES = 1623
FULL_OMNIGLOT_SHARES = (1100 / 1623, 100 / 1623)   # train, val; test the rest
SHARES = (0.64, 0.16)


@dataclass(frozen=True)
class ImageClass:
    """One class of a dataset folder: its name (a path relative to the root, or a CSV label) and files."""

    name: str
    files: tuple[Path, ...]


@dataclass(frozen=True)
class DatasetListing:
    layout: str
    root: Path
    classes: tuple[ImageClass, ...]
    csv_split: dict[str, tuple[str, ...]] | None = None   # miniimagenet: class names per split
    problems: tuple[str, ...] = ()

    @property
    def image_count(self) -> int:
        return sum(len(c.files) for c in self.classes)


@dataclass(frozen=True)
class DatasetFolderInfo:
    """What ``inspect_dataset_folder`` found; ``layout`` is None where the folder is not usable."""

    root: str
    layout: str | None
    class_count: int = 0
    image_count: int = 0
    typical_size: tuple[int, int] | None = None     # (width, height) most common among a sample
    smallest_class: int = 0                          # images in the class with the fewest
    split_counts: dict[str, int] | None = None       # classes per split (before rotations)
    problems: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        """One line for the app's status bar."""
        if self.layout is None:
            return self.problems[0] if self.problems else f"{self.root}: not a dataset folder"
        size = f", typically {self.typical_size[0]}x{self.typical_size[1]}" if self.typical_size else ""
        issues = f"; {len(self.problems)} problem(s): {self.problems[0]}" if self.problems else ""
        split = "/".join(str(self.split_counts[s]) for s in SPLITS) if self.split_counts else "?"
        return (f"{self.layout} layout: {self.class_count} classes ({split} train/val/test), {self.image_count} "
                f"images (at least {self.smallest_class} per class){size}{issues}")


def is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def _folders(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))


def _images(path: Path) -> tuple[Path, ...]:
    return tuple(sorted(p for p in path.iterdir() if is_image(p)))


def detect_layout(root: Path) -> str | None:
    if any((root / name).is_dir() for name in OMNIGLOT_SETS):
        return "omniglot"
    if (root / "images").is_dir() and any((root / name).is_file() for name in SPLIT_FILES.values()):
        return "miniimagenet"
    if any(_images(folder) for folder in _folders(root)):
        return "folder"
    return None


def _list_omniglot(root: Path) -> DatasetListing:
    classes, problems = [], []
    for set_name in OMNIGLOT_SETS:
        if not (root / set_name).is_dir():
            continue
        for alphabet in _folders(root / set_name):
            for character in _folders(alphabet):
                files = _images(character)
                name = f"{set_name}/{alphabet.name}/{character.name}"
                if files:
                    classes.append(ImageClass(name, files))
                else:
                    problems.append(f"{name} has no images")
    return DatasetListing("omniglot", root, tuple(classes), None, tuple(problems))


def _list_folder(root: Path) -> DatasetListing:
    classes, problems = [], []
    for folder in _folders(root):
        files = _images(folder)
        if files:
            classes.append(ImageClass(folder.name, files))
        else:
            problems.append(f"{folder.name}/ has no .png/.jpg/.jpeg/.bmp images")
    return DatasetListing("folder", root, tuple(classes), None, tuple(problems))


def _read_split_csv(path: Path) -> list[tuple[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read {path}: {error}") from None
    if not rows or [cell.strip().lower() for cell in rows[0][:2]] != ["filename", "label"]:
        raise ValueError(f"{path} must start with the header 'filename,label'")
    pairs = []
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise ValueError(f"{path} line {number}: expected 'filename,label', got {','.join(row)!r}")
        pairs.append((row[0].strip(), row[1].strip()))
    return pairs


def _list_miniimagenet(root: Path) -> DatasetListing:
    files: dict[str, list[Path]] = {}
    split_of: dict[str, str] = {}
    csv_split: dict[str, list[str]] = {}
    for split, file_name in SPLIT_FILES.items():
        path = root / file_name
        if not path.is_file():
            raise ValueError(f"mini-ImageNet folder {root} has no {file_name} (needs train.csv, val.csv, test.csv)")
        csv_split[split] = []
        for image_name, label in _read_split_csv(path):
            if split_of.setdefault(label, split) != split:
                raise ValueError(f"class {label!r} is listed in both {SPLIT_FILES[split_of[label]]} and {file_name}")
            if label not in files:
                files[label] = []
                csv_split[split].append(label)
            image = root / "images" / image_name
            if not image.is_file():
                raise ValueError(f"image {image_name} listed in {file_name} is missing from {root / 'images'}")
            files[label].append(image)
    classes = tuple(ImageClass(label, tuple(paths)) for label, paths in files.items())
    return DatasetListing("miniimagenet", root, classes, {k: tuple(v) for k, v in csv_split.items()})


def split_classes(listing: DatasetListing, split_seed: int) -> dict[str, tuple[int, ...]]:
    """Indices into ``listing.classes`` per split: the CSV split (mini-ImageNet), else a shuffle seeded
    by ``split_seed`` cut 64 % : 16 % : 20 % (the full Omniglot, 1623 classes or more: 1100 : 100 : 423),
    at least one class per split from 3 classes on."""
    names = [c.name for c in listing.classes]
    if listing.csv_split is not None:
        index = {name: i for i, name in enumerate(names)}
        return {split: tuple(index[name] for name in listing.csv_split[split]) for split in SPLITS}
    count = len(names)
    order = torch.randperm(count, generator=torch.Generator().manual_seed(int(split_seed))).tolist()
    full_omniglot = listing.layout == "omniglot" and count >= OMNIGLOT_CLASSES
    train_share, val_share = FULL_OMNIGLOT_SHARES if full_omniglot else SHARES
    n_val = max(1, round(count * val_share)) if count >= 3 else 0
    n_train = max(1, round(count * train_share)) if count >= 3 else count
    n_train = min(n_train, count - n_val - (1 if count >= 3 else 0))
    return {"train": tuple(sorted(order[:n_train])), "val": tuple(sorted(order[n_train:n_train + n_val])),
            "test": tuple(sorted(order[n_train + n_val:]))}


def list_dataset(root: str | Path, layout: str) -> DatasetListing:
    """The classes of the dataset folder ``root`` in ``layout``; raises ValueError (one line)."""
    if not str(root).strip():
        raise ValueError(f"the {layout} family needs a dataset folder: set task.root (e.g. --set task.root=DIR)")
    path = Path(root).expanduser()
    if not path.is_dir():
        raise ValueError(f"dataset folder {path} does not exist" if not path.exists()
                         else f"dataset path {path} is not a folder")
    found = detect_layout(path)
    if found != layout:
        expected = {"omniglot": "images_background/ or images_evaluation/ subfolders",
                    "miniimagenet": "an images/ folder with train.csv, val.csv and test.csv",
                    "folder": "one subfolder of images per class"}[layout]
        seen = f" (it looks like the {found} layout)" if found else ""
        raise ValueError(f"{path} is not a {layout} folder: expected {expected}{seen}")
    listing = {"omniglot": _list_omniglot, "miniimagenet": _list_miniimagenet, "folder": _list_folder}[layout](path)
    if not listing.classes:
        raise ValueError(f"{path} holds no images in the {layout} layout")
    return listing


def inspect_dataset_folder(root: str | Path, sample_images: int = 24) -> DatasetFolderInfo:
    """What the folder holds (layout, classes, images, typical size, problems); never raises for a bad folder.

    Only file names and the headers of up to ``sample_images`` images are read, so it is quick.
    """
    path = Path(root).expanduser()
    if not path.is_dir():
        return DatasetFolderInfo(str(path), None, problems=(f"{path} is not an existing folder",))
    layout = detect_layout(path)
    if layout is None:
        return DatasetFolderInfo(str(path), None, problems=(
            f"{path} is not a recognised dataset folder: expected images_background/ (Omniglot), "
            "images/ + train.csv (mini-ImageNet) or one subfolder of images per class",))
    try:
        listing = list_dataset(path, layout)
    except (ValueError, OSError) as error:
        return DatasetFolderInfo(str(path), None, problems=(str(error),))
    every = [f for c in listing.classes for f in c.files]
    step = max(1, len(every) // sample_images)
    sizes, problems = Counter(), list(listing.problems)
    for image in every[::step][:sample_images]:
        try:
            with Image.open(image) as opened:
                sizes[opened.size] += 1
        except Exception as error:  # noqa: BLE001 - any decoder failure is reported, not raised
            problems.append(f"cannot read image {image}: {str(error).splitlines()[0] if str(error) else error!r}")
    return DatasetFolderInfo(str(path), layout, len(listing.classes), listing.image_count,
                             sizes.most_common(1)[0][0] if sizes else None,
                             min(len(c.files) for c in listing.classes),
                             {s: len(v) for s, v in split_classes(listing, 0).items()}, tuple(problems))
