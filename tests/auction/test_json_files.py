"""Reading JSON files that are hostile or not files at all: one clear error, bounded time and memory."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from auction import InvalidInstance, load_instance
from auction._json_types import MAX_JSON_BYTES, MAX_JSON_DEPTH


def test_a_long_string_is_checked_in_bounded_memory(tmp_path: Path) -> None:
    # 40 MB in one string: the nesting check used ~120 bytes of memory per character of it.
    path = tmp_path / "long.json"
    path.write_text('{"id": "' + "x" * 40_000_000 + '", "tokens": {}}')
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))\n"
        "from auction import load_instance, InvalidInstance\n"
        f"instance = load_instance({str(path)!r})\n"
        "print(len(instance.id))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "40000000"


def test_nesting_beyond_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    with pytest.raises(InvalidInstance, match="nested deeper than"):
        load_instance(path)


def test_brackets_inside_strings_do_not_count(tmp_path: Path) -> None:
    path = tmp_path / "brackets.json"
    path.write_text('{"id": "' + "[" * 500 + '\\"' + "{" * 500 + '", "tokens": {}}')
    assert load_instance(path).id == "[" * 500 + '"' + "{" * 500


def test_a_file_above_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as file:
        file.truncate(MAX_JSON_BYTES + 1)  # sparse: nothing is written to disk
    with pytest.raises(InvalidInstance, match="more than the"):
        load_instance(path)


def test_a_device_is_refused() -> None:
    with pytest.raises(InvalidInstance, match="not a regular file"):
        load_instance("/dev/zero")


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInstance, match="is a folder"):
        load_instance(tmp_path)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            load_instance(fifo)
        except BaseException as error:  # the outcome is asserted below
            outcome.append(error)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=5)
    if reader.is_alive():  # unblock the thread before failing
        with fifo.open("w"):
            pass
        pytest.fail("reading a FIFO blocked")
    assert isinstance(outcome[0], InvalidInstance)
    assert "not a regular file" in str(outcome[0])
