"""Decoded dataset folders kept for the next build of the same family (the app's Train after its preview,
a resumed run, a sweep's next trial in the same process).

Decoding a folder (Pillow, resize) is the slow part of building an image-folder family: Omniglot's
32,460 files take seconds. :func:`folder_family` keeps the most recent decoded family and hands it
out again when the same folder is asked for with the same image settings and its files are the
same (names, sizes, modification times); anything else decodes afresh (and replaces it). Families are immutable after
construction, so sharing one between trainers is safe.
"""

from __future__ import annotations

import threading

from .base import ClassificationSpec, ProgressCallback
from .dataset_folders import list_dataset
from .image_folders import ImageFolderFamily

_lock = threading.Lock()
_kept: tuple[tuple, ImageFolderFamily] | None = None


def _stamp(path) -> tuple:
    try:
        stat = path.stat()
    except OSError:
        return (str(path),)
    return (str(path), stat.st_size, stat.st_mtime_ns)


def _key(spec: ClassificationSpec, listing) -> tuple:
    """What the decoded images depend on: the folder, every file (name, size, time changed), the settings."""
    files = tuple((c.name, tuple(_stamp(f) for f in c.files)) for c in listing.classes)
    return (listing.layout, str(listing.root), spec.image_size, spec.channels, bool(spec.rotations),
            int(spec.split_seed), files)


def folder_family(spec: ClassificationSpec, progress: ProgressCallback | None = None) -> ImageFolderFamily:
    """The image-folder family of ``spec``, decoded now or kept from the last identical request."""
    global _kept
    listing = list_dataset(spec.root, spec.family)
    key = _key(spec, listing)
    with _lock:
        if _kept is not None and _kept[0] == key:
            if progress is not None:
                progress(listing.image_count, listing.image_count)
            return _kept[1]
    family = ImageFolderFamily(listing, spec.image_size, spec.channels, spec.rotations, spec.split_seed, progress)
    with _lock:
        _kept = (key, family)
    return family


def is_decoded(spec: ClassificationSpec) -> bool:
    """True when :func:`folder_family` would hand out a kept family for ``spec`` without decoding."""
    try:
        listing = list_dataset(spec.root, spec.family)
    except (ValueError, OSError):
        return False
    with _lock:
        return _kept is not None and _kept[0] == _key(spec, listing)


def forget() -> None:
    """Drop the kept family (tests; freeing its memory)."""
    global _kept
    with _lock:
        _kept = None
