"""The trained model shipped with the app: its files match the recorded checksums, it loads,
it fits the default preset, and a changed copy is refused with one line."""

from __future__ import annotations

import shutil

import pytest
import torch

from maml_gui.core.bundled import (BUNDLED_SHA256, BundledModelError, bundled_directory, load_bundled_model,
                                   sha256_of)
from maml_gui.core.checkpoint import CONFIG, WEIGHTS
from maml_gui.core.presets import load_preset


def test_the_shipped_files_match_their_recorded_checksums():
    folder = bundled_directory()
    assert sorted(p.name for p in folder.iterdir()) == sorted(BUNDLED_SHA256)  # nothing else is shipped
    for name, expected in BUNDLED_SHA256.items():
        assert sha256_of(folder / name) == expected, f"{name} changed: retrain or update BUNDLED_SHA256"
    assert (folder / WEIGHTS).stat().st_size < 64_000  # weights and baseline only, no resume state


def test_the_bundled_model_fits_the_default_preset_and_adapts():
    bundled = load_bundled_model()
    assert bundled.fits(load_preset("finn2017-sinusoid")) and not bundled.fits(load_preset("sinusoid-and-line"))
    assert bundled.description == "bundled model: MAML on sinusoids, 20,000 iterations"
    assert bundled.snapshot.iteration == bundled.config.training.iterations == 20_000
    x_support = torch.linspace(-4, 4, 5).reshape(-1, 1)
    y_support = 3.0 * torch.sin(x_support - 1.0)
    x_query = torch.linspace(-5, 5, 100).reshape(-1, 1)
    curves = bundled.snapshot.adapt(x_support, y_support, x_query, 10)
    mse = ((curves[:, 0] - 3.0 * torch.sin(x_query - 1.0)) ** 2).mean(dim=(1, 2))
    assert mse[10] < 0.5 * mse[0]  # it is a meta-learned model, not random weights


@pytest.mark.parametrize("name", [WEIGHTS, CONFIG])
def test_a_changed_copy_is_refused_with_one_line(tmp_path, name):
    copy = tmp_path / "bundled"
    shutil.copytree(bundled_directory(), copy)
    data = bytearray((copy / name).read_bytes())
    data[-2] ^= 0x01  # one bit in the tensor data / the config's last line
    (copy / name).write_bytes(bytes(data))
    with pytest.raises(BundledModelError, match=f"{name} does not match its recorded sha256 checksum") as caught:
        load_bundled_model(copy)
    assert "\n" not in str(caught.value)


def test_a_missing_file_is_refused(tmp_path):
    copy = tmp_path / "bundled"
    shutil.copytree(bundled_directory(), copy)
    (copy / WEIGHTS).unlink()
    with pytest.raises(BundledModelError, match=f"{WEIGHTS} cannot be read"):
        load_bundled_model(copy)
