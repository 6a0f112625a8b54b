"""Hypothesis mutates one file of a tiny trained run; every entry point that reads it must cope.

Per example: one file changed (a value swapped for a hostile one, bytes flipped, cut or
inserted, a tensor's dtype or shape changed, an object that would run code pickled in), then
one command that reads that file. Either the command succeeds, or it refuses with exit status
2, exactly one line on stderr and the run directory as it was. No pickle ever runs.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .hostile_runs import NoWindow, assert_one_line_refusal, commands, make_tiny_run, run_cli, tree_digest

FILES = ["run.json", "config.toml", "metrics.csv", "validation.jsonl", "points.json", "model.safetensors", "resume.pt"]
READERS = {"metrics.csv": ["resume", "gui"], "validation.jsonl": ["resume", "gui"], "resume.pt": ["resume"]}
MARKER = "fuzz-code-ran"
EXAMPLES = int(os.environ.get("MAML_FUZZ_EXAMPLES", "14"))  # per file; raise it for a longer hunt
OUTCOMES: list[tuple[str, str, int, str]] = []  # (file, command, status, first line of stderr), for a look
DEEP = "[" * 20_000 + "]" * 20_000

# hostile values, as raw JSON text / TOML text / CSV cells / safetensors metadata strings
JSON_VALUES = ["1e400", "-1e400", "NaN", "Infinity", "-1", "0", "9" * 400, "2.5", '"x"', '"\\n\\u202e"', "null", "true",
               "[]", "{}", "[1, 2]", DEEP, '{"a": ' * 5000 + "1" + "}" * 5000]
TOML_VALUES = ["1e400", "nan", "inf", "-inf", "9" * 40, "-1", "0", "1e-400", '"x"', "true", "[]", "{}",
               "[" * 5000 + "]" * 5000, "[1, 2, 3]", "{ a = 1 }"]
CSV_VALUES = ["nan", "inf", "-inf", "1e400", "-5", "", "x", "1.5", "9" * 400, '"', "\x00", "1,2"]
META_VALUES = ["", "x", "1e400", "-1", "nan", "inf", "9" * 50, "[]", "[0]", "[1e400]", "true", "{}", DEEP[:20000]]
DTYPES = ["F64", "F16", "BF16", "I64", "BOOL", "U8", "I8", "F32"]


class RunsACommand:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("fuzz")
    return {kind: make_tiny_run(folder / kind, kind) for kind in ("regression", "classification")}


@pytest.fixture(scope="module", autouse=True)
def no_window():
    try:
        from maml_gui.qt import app
    except ImportError:  # pragma: no cover
        yield None
        return
    original, app.run_app = app.run_app, NoWindow()
    yield app.run_app
    app.run_app = original


# -- mutations ------------------------------------------------------------------------------------
def mutate_bytes(data: bytes, draw) -> bytes:
    data = bytearray(data)
    kind = draw(st.sampled_from(["set", "cut", "insert", "append"]))
    if kind == "cut" or not data:
        return bytes(data[:draw(st.integers(0, len(data)))])
    offset = draw(st.integers(0, len(data) - 1))
    chunk = draw(st.binary(min_size=1, max_size=8))
    if kind == "set":
        data[offset:offset + len(chunk)] = chunk
    elif kind == "insert":
        data[offset:offset] = chunk
    else:
        data += chunk
    return bytes(data)


def json_paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from json_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from json_paths(item, (*prefix, i))


def mutate_json(text: str, draw) -> str:
    document = json.loads(text)
    path = draw(st.sampled_from(list(json_paths(document))))
    raw = draw(st.sampled_from(JSON_VALUES))
    placeholder = "\u2603HOSTILE\u2603"
    if not path:
        return raw
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    if isinstance(parent, dict) and draw(st.booleans()) and len(path) == 1:
        del parent[path[-1]]
        return json.dumps(document)
    parent[path[-1]] = placeholder
    return json.dumps(document).replace(json.dumps(placeholder), raw)


def mutate_text(name: str, text: str, draw) -> str:
    lines = text.splitlines()
    if name == "validation.jsonl":
        i = draw(st.integers(0, len(lines) - 1))
        lines[i] = mutate_json(lines[i], draw)
    elif name in ("run.json", "points.json"):
        return mutate_json(text, draw)
    elif name == "config.toml":
        settable = [i for i, line in enumerate(lines) if " = " in line]
        i = draw(st.sampled_from(settable))
        key = lines[i].split(" = ")[0]
        lines[i] = draw(st.sampled_from([f"{key} = {draw(st.sampled_from(TOML_VALUES))}", "", lines[i] + "\n" + lines[i]]))
    else:  # metrics.csv
        i = draw(st.integers(0, len(lines) - 1))
        cells = lines[i].split(",")
        cells[draw(st.integers(0, len(cells) - 1))] = draw(st.sampled_from(CSV_VALUES))
        lines[i] = ",".join(cells)
    return "\n".join(lines) + "\n"


def mutate_safetensors(data: bytes, draw) -> bytes:
    size = int.from_bytes(data[:8], "little")
    header, body = json.loads(data[8:8 + size]), bytearray(data[8 + size:])
    kind = draw(st.sampled_from(["dtype", "shape", "offsets", "metadata", "value", "length"]))
    names = sorted(k for k in header if k != "__metadata__")
    name = draw(st.sampled_from(names))
    if kind == "dtype":
        header[name]["dtype"] = draw(st.sampled_from(DTYPES))
    elif kind == "shape":
        header[name]["shape"] = draw(st.lists(st.integers(0, 9), max_size=3))
    elif kind == "offsets":
        header[name]["data_offsets"] = [draw(st.integers(0, len(body) + 8)) for _ in range(2)]
    elif kind == "metadata":
        key = draw(st.sampled_from(sorted(header["__metadata__"])))
        header["__metadata__"][key] = draw(st.sampled_from(META_VALUES))
    elif kind == "value":
        start, end = header[name]["data_offsets"]
        if end - start >= 4:
            at = start + 4 * draw(st.integers(0, (end - start) // 4 - 1))
            body[at:at + 4] = draw(st.sampled_from([b"\x00\x00\xc0\x7f", b"\x00\x00\x80\x7f", b"\x00\x00\x80\xff",
                                                    b"\xff\xff\x7f\x7f", b"\x00\x00\x00\x00"]))
    else:
        return draw(st.integers(0, 2**64 - 1)).to_bytes(8, "little") + data[8:]
    encoded = json.dumps(header).encode()
    return len(encoded).to_bytes(8, "little") + encoded + bytes(body)


def resume_leaves(value, prefix=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from resume_leaves(item, (*prefix, key))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield (*prefix, i)
            yield from resume_leaves(item, (*prefix, i))


def hostile_resume_value(old, draw, marker: Path):
    choices = [float("inf"), float("nan"), -1, 10**30, 1e30, "x", None, [], {}, RunsACommand(f"touch {marker}")]
    if isinstance(old, torch.Tensor):
        choices += [old.to(torch.float64), old.to(torch.float16), old.to(torch.int64), old.to(torch.bool),
                    torch.zeros(old.numel() + 1), torch.full_like(old, float("nan")) if old.is_floating_point() else old,
                    old.reshape(-1)[:0]]
    return draw(st.sampled_from(choices))


def mutate_resume(path: Path, draw, marker: Path) -> bytes:
    if draw(st.integers(0, 4)) == 0:
        return mutate_bytes(path.read_bytes(), draw)
    state = torch.load(path, weights_only=True)
    leaf = draw(st.sampled_from(list(resume_leaves(state))))
    parent = state
    for key in leaf[:-1]:
        parent = parent[key]
    if isinstance(parent, tuple):
        return mutate_bytes(path.read_bytes(), draw)
    if isinstance(parent, dict) and draw(st.integers(0, 5)) == 0:
        del parent[leaf[-1]]
    else:
        parent[leaf[-1]] = hostile_resume_value(parent[leaf[-1]], draw, marker)
    path.write_bytes(b"")
    torch.save(state, path)
    return path.read_bytes()


# -- the fuzzer --------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", FILES)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_a_mutated_run_file_is_read_or_refused_in_one_line(tiny_runs, name, data):
    workspace = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        kind = data.draw(st.sampled_from(sorted(tiny_runs)))
        run = Path(shutil.copytree(tiny_runs[kind], workspace / "run"))
        marker = workspace / MARKER
        file = run / name
        if name == "resume.pt":
            damaged = mutate_resume(file, data.draw, marker)
        elif name == "model.safetensors":
            damaged = (mutate_safetensors(file.read_bytes(), data.draw) if data.draw(st.booleans())
                       else mutate_bytes(file.read_bytes(), data.draw))
        elif data.draw(st.integers(0, 3)) == 0:
            damaged = mutate_bytes(file.read_bytes(), data.draw)
        else:
            damaged = mutate_text(name, file.read_text(), data.draw).encode("utf-8", "surrogatepass")
        file.write_bytes(damaged)
        command = data.draw(st.sampled_from(READERS.get(name, ["evaluate", "export", "resume", "gui"])))
        export_to = workspace / "exported.safetensors"
        before = tree_digest(run)
        outcome = run_cli(commands(run, export_to)[command])
        OUTCOMES.append((f"{kind} {name}", command, outcome.status, outcome.err.splitlines()[0] if outcome.err else ""))
        assert not marker.exists(), "a pickle in the run ran code"
        if outcome.status == 0:
            assert "Traceback" not in outcome.err
        else:
            assert_one_line_refusal(outcome)
            assert tree_digest(run) == before, f"{command} changed the run it refused"
            assert not export_to.exists()
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
