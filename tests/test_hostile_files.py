"""Broken and hostile files in a submission folder, built in tmp_path (git cannot hold most).

Every case must end as problems that ``tinymlperf validate`` prints one line each (exit 1, no
traceback), and ``score_entry`` must turn it into an ``invalid`` record with a one-line reason
without ever starting the submission. Nothing here reads a file it should not: weight files are
checked from their headers, a 50 MB metadata file is refused by its size, a zip bomb by its
declared size.
"""

from __future__ import annotations

import ast
import io
import json
import os
import shutil
import struct
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from scorer.cli.main import main
from scorer.contract.errors import SubmissionError
from scorer.contract.events import EVENT_IDS
from scorer.contract.problems import Problem
from scorer.scoring.engine import Job, score_entry
from scorer.validate import submission

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "submissions"
MLP = FIXTURES / "valid" / "fast-tensors" / "mlp_sprint"
CNN = FIXTURES / "valid" / "pkg-team" / "cnn_marathon"


def entry(tmp_path: Path, team: str = "fast-tensors", source: Path = MLP) -> Path:
    """A valid copy of a fixture entry under tmp_path/submissions/<team>/<event>/."""
    folder = tmp_path / "submissions" / team / source.name
    shutil.copytree(source, folder)
    if team != source.parent.name:
        set_meta(folder, lambda m: m["team"].update(id=team))
    assert submission.check(folder).ok
    return folder


def set_meta(folder: Path, change) -> None:
    path = folder / "submission.json"
    meta = json.loads(path.read_text())
    change(meta)
    path.write_text(json.dumps(meta))


def messages(folder: Path) -> list[str]:
    return [str(p) for p in submission.check(folder).errors]


def validate_cli(folder: Path, capsys) -> tuple[int, list[str]]:
    rc = main(["validate", str(folder)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    lines = out.splitlines()
    for line in lines:
        assert line.isprintable(), repr(line)  # no control, zero-width or direction characters
        assert ": " in line
    return rc, lines


def assert_invalid(folder: Path, capsys, *wanted: str) -> list[str]:
    """validate exits 1 printing every wanted substring, and score_entry records ``invalid``."""
    rc, lines = validate_cli(folder, capsys)
    assert rc == 1, lines
    for want in wanted:
        assert any(want in line for line in lines), f"{want!r} not in {lines}"
    event = folder.name if folder.name in EVENT_IDS else "mlp_sprint"
    record = score_entry(folder, event, Job(repeats=1))
    assert record["status"] == "invalid" and not record["qualified"]
    assert record["repeats"] == 0  # never started
    assert record["reason"] and "\n" not in record["reason"] and record["reason"].isprintable()
    assert "Traceback" not in record["reason"]
    return lines


# --- submission.json ------------------------------------------------------------


def test_fifty_megabyte_metadata_is_refused_by_its_size(tmp_path, capsys):
    folder = entry(tmp_path)
    with open(folder / "submission.json", "w") as f:
        f.write('{"title": "')
        block = "x" * 2**20
        for _ in range(50):
            f.write(block)
        f.write('"}')
    t0 = time.monotonic()
    assert_invalid(
        folder,
        capsys,
        "submission.json: the file is 52,428,813 bytes; the limit is 262,144",
        "the limit is 25 MiB",
    )
    assert time.monotonic() - t0 < 10


@pytest.mark.parametrize(
    "text",
    [
        "[" * 200_000,  # RecursionError inside json
        '{"a": ' * 40 + "1" + "}" * 40,  # parses, but deeper than the format allows
        "[" * 5000 + "]" * 5000,
    ],
)
def test_deeply_nested_metadata(tmp_path, capsys, text):
    folder = entry(tmp_path)
    (folder / "submission.json").write_text(text)
    lines = assert_invalid(folder, capsys)
    assert any("nested too deeply" in ln or "not valid JSON" in ln for ln in lines), lines


@pytest.mark.parametrize(
    "raw,want",
    [
        ('{"title": "caf\u00e9"}'.encode("utf-16"), "not UTF-8 (byte 0)"),
        (b"\xef\xbb\xbf{}", "not valid JSON: Unexpected UTF-8 BOM"),
        (b"\x00" * 100, "not valid JSON"),
        (b"\x89PNG\r\n\x1a\n", "not UTF-8"),
        (b"   \n\t ", "not valid JSON"),
    ],
)
def test_metadata_that_is_not_json_text(tmp_path, capsys, raw, want):
    folder = entry(tmp_path)
    (folder / "submission.json").write_bytes(raw)
    assert_invalid(folder, capsys, want)


@pytest.mark.parametrize(
    "field,value",
    [
        ("team", "fast-tensors"),
        ("team", {"id": ["fast-tensors"], "name": 7, "members": {"name": "x"}}),
        ("entrypoint", ["submission.py"]),
        ("blas_threads", 0),
        ("blas_threads", "1"),
        ("blas_threads", 1.5),
        ("blas_threads", True),
        ("blas_threads", 10**6),
        ("event", 3),
        ("claimed", [0.99]),
        ("claimed", {"accuracy": "0.99"}),
        ("schema_version", None),
        ("techniques", [{"$ref": "#"}]),
    ],
)
def test_metadata_with_wrong_types(tmp_path, capsys, field, value):
    folder = entry(tmp_path)
    set_meta(folder, lambda m: m.__setitem__(field, value))
    assert_invalid(folder, capsys, f"$.{field}")


def test_metadata_that_is_not_an_object(tmp_path, capsys):
    folder = entry(tmp_path)
    for text in ('"a string"', "null", "42", "[]"):
        (folder / "submission.json").write_text(text)
        assert_invalid(folder, capsys, "is not of type 'object'")


@pytest.mark.parametrize(
    "number,want",
    [
        ("NaN", "NaN is not a JSON number"),
        ("Infinity", "Infinity is not a JSON number"),
        ("-Infinity", "-Infinity is not a JSON number"),
        ("1e999", "1e999 overflows to infinity"),
        ("1" * 5000, "a 5,000-digit number"),
    ],
)
def test_numbers_json_cannot_hold_are_refused(tmp_path, capsys, number, want):
    """Fixed in scorer/validate/submission.py: NaN/Infinity were accepted (and reached the record's
    ``claimed`` block as non-standard JSON) and a 5,000-digit number crashed validate."""
    folder = entry(tmp_path)
    text = (folder / "submission.json").read_text()
    meta = json.loads(text)
    meta["claimed"] = {"train_time_s": 12345}
    (folder / "submission.json").write_text(json.dumps(meta).replace("12345", number))
    assert_invalid(folder, capsys, f"submission.json: not valid JSON: {want}")


# --- weight files -----------------------------------------------------------------


def npy_bytes(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=allow_pickle)
    return buf.getvalue()


def write_npz(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)


def zip_bomb(path: Path, declared: int) -> None:
    """A small highly-compressible .npy member whose zip headers declare ``declared`` bytes."""
    # A real .npy header for the declared shape, followed by 4 MiB of zeros.
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f4", "fortran_order": False, "shape": ((declared - 128) // 4,)}
    )
    header = buf.getvalue()
    write_npz(path, {"w.npy": header + bytes(4 * 2**20)})
    data = bytearray(path.read_bytes())
    assert len(data) < 64 * 1024  # small on disk
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, declared)  # uncompressed size, local header
    struct.pack_into("<I", data, central + 24, declared)  # uncompressed size, central directory
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as z:
        assert z.infolist()[0].file_size == declared


@pytest.mark.parametrize("declared", [600 * 2**20, 4 * 2**30 - 1])
def test_zip_bomb_is_refused_without_decompressing(tmp_path, capsys, monkeypatch, declared):
    folder = entry(tmp_path, "pkg-team", CNN)
    zip_bomb(folder / "weights.npz", declared)
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(
        zipfile.ZipFile, "open", lambda self, *a, **k: opened.append(a) or real_open(self, *a, **k)
    )
    assert_invalid(
        folder, capsys, "weight files decompress to more than 512 MiB; shrink or quantize them"
    )
    assert not opened  # refused from the central directory alone


def test_many_members_adding_up_past_the_limit(tmp_path, capsys):
    folder = entry(tmp_path, "pkg-team", CNN)
    for i in range(3):
        zip_bomb(folder / f"part{i}.npz", 200 * 2**20)
    assert_invalid(folder, capsys, "decompress to more than 512 MiB")


def test_npz_member_that_holds_pickled_objects(tmp_path, capsys):
    folder = entry(tmp_path, "pkg-team", CNN)
    write_npz(
        folder / "weights.npz",
        {"w.npy": npy_bytes(np.array([print], dtype=object), allow_pickle=True)},
    )
    assert_invalid(folder, capsys, "weights.npz[w.npy]: holds pickled Python objects")


def test_npz_member_that_is_not_an_array(tmp_path, capsys):
    folder = entry(tmp_path, "pkg-team", CNN)
    write_npz(
        folder / "weights.npz", {"w.npy": npy_bytes(np.zeros(3)), "__init__.py": b"import os"}
    )
    assert_invalid(folder, capsys, "weights.npz[__init__.py]: an .npz may only hold .npy arrays")


def test_npz_member_truncated_inside_a_valid_archive(tmp_path, capsys):
    folder = entry(tmp_path, "pkg-team", CNN)
    write_npz(folder / "weights.npz", {"w.npy": npy_bytes(np.zeros((100, 100), np.float32))[:2000]})
    assert_invalid(folder, capsys, "weights.npz[w.npy]: truncated array")


@pytest.mark.parametrize(
    "raw,want",
    [
        (b"\x93NUMPY\x01\x00\x10\x00{'descr': 'zz'}  \n", "not a valid .npy array"),
        (
            b"\x93NUMPY\x01\x00\x20\x00" + b"__import__('os')            \n",
            "not a valid .npy array",
        ),
        (b"not numpy at all", "not a valid .npy array"),
        (b"", "not a valid .npy array"),
    ],
)
def test_npy_with_a_broken_header(tmp_path, capsys, raw, want):
    folder = entry(tmp_path, "pkg-team", CNN)
    (folder / "w.npy").write_bytes(raw)
    assert_invalid(folder, capsys, f"w.npy: {want}")


def test_npy_declaring_a_huge_shape_is_truncated_not_allocated(tmp_path, capsys):
    folder = entry(tmp_path, "pkg-team", CNN)
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f8", "fortran_order": False, "shape": (2**40,)}
    )
    (folder / "w.npy").write_bytes(buf.getvalue() + b"\0" * 64)
    assert_invalid(folder, capsys, "w.npy: truncated: the file is shorter than its header says")


# --- folder tricks ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,target",
    [
        ("submission.py", "/etc/passwd"),
        ("helpers.py", "OTHER_TEAM"),
        ("labels.txt", "LABELS"),
        ("README.md", "/proc/self/environ"),
    ],
)
def test_symlinks_are_refused(tmp_path, capsys, name, target):
    folder = entry(tmp_path)
    other = entry(tmp_path, "other-team")
    labels = tmp_path / "data" / "t10k-labels.txt"
    labels.parent.mkdir()
    labels.write_text("7 2 1 0 4\n")
    target = {"OTHER_TEAM": str(other / "submission.py"), "LABELS": str(labels)}.get(target, target)
    path = folder / name
    path.unlink(missing_ok=True)
    path.symlink_to(target)
    assert_invalid(
        folder, capsys, f"{name}: symbolic links are not allowed; commit the file itself"
    )


def test_symlinked_folder_inside_the_entry(tmp_path, capsys):
    folder = entry(tmp_path)
    other = entry(tmp_path, "other-team")
    (folder / "stolen").symlink_to(other, target_is_directory=True)
    assert_invalid(folder, capsys, "stolen: symbolic links are not allowed")


def test_symlinked_metadata(tmp_path, capsys):
    folder = entry(tmp_path)
    other = entry(tmp_path, "other-team")
    (folder / "submission.json").unlink()
    (folder / "submission.json").symlink_to(other / "submission.json")
    assert_invalid(
        folder, capsys, "submission.json: symbolic links are not allowed", "missing submission.json"
    )


def test_event_folder_that_is_a_symlink(tmp_path, capsys):
    other = entry(tmp_path, "other-team")
    link = tmp_path / "submissions" / "evil-team" / "mlp_sprint"
    link.parent.mkdir()
    link.symlink_to(other, target_is_directory=True)
    rc, lines = validate_cli(link, capsys)
    assert rc == 1 and lines == [
        f"{link}: not a submission folder; expected submissions/<team-id>/<event-id>/"
    ]
    assert submission.find_submissions(tmp_path / "submissions") == [other]


def test_team_folder_that_links_to_another_team(tmp_path, capsys):
    """Fixed in scorer/validate/submission.py: check() resolved the path, so submissions/evil -> victim
    validated as the victim's entry and score_entry recorded it under the name 'evil'."""
    entry(tmp_path, "victim")
    link = tmp_path / "submissions" / "evil"
    link.symlink_to("victim", target_is_directory=True)
    assert_invalid(
        link / "mlp_sprint",
        capsys,
        "evil: the team folder is a symbolic link",
        "'victim' does not match the folder 'evil'",
    )
    assert submission.find_submissions(tmp_path / "submissions") == [
        tmp_path / "submissions" / "victim" / "mlp_sprint"
    ]


@pytest.mark.parametrize(
    "entrypoint",
    [
        "../other-team/mlp_sprint/submission.py",
        "/etc/passwd.py",
        "sub/../../../x.py",
        "./submission.py",
        "submission.py\n",
        "/tmp/evil.py",
    ],
)
def test_entrypoint_outside_the_folder(tmp_path, capsys, entrypoint):
    folder = entry(tmp_path)
    set_meta(folder, lambda m: m.update(entrypoint=entrypoint))
    assert_invalid(folder, capsys, "$.entrypoint")


@pytest.mark.parametrize(
    "name",
    [
        "evil\nname.py",
        "a\rb.py",
        "x\x1b[2J.py",
        "tab\there.py",
        "zero\u200bwidth.py",
        "rtl\u202egnp.py",
        "caf\u00e9.py",
        ".hidden.py",
        "..py",
        "-rf.py",
        "a" * 120 + ".py",
    ],
)
def test_file_names_with_control_or_odd_characters(tmp_path, capsys, name):
    folder = entry(tmp_path)
    (folder / name).write_text("x = 1\n")
    lines = assert_invalid(folder, capsys, "file names must be ASCII letters")
    assert len(lines) == 1


def test_team_and_event_folders_with_control_characters(tmp_path, capsys):
    """Fixed in scorer/contract/problems.py: a control character in a folder name reached the output raw,
    so one problem printed as several lines (or moved the terminal's cursor)."""
    src = entry(tmp_path)
    team = tmp_path / "submissions" / "bad\nteam\x1b[31m\u202e"
    team.mkdir()
    folder = team / "mlp\rsprint"
    shutil.copytree(src, folder)
    lines = assert_invalid(folder, capsys, "team folder must be a slug", "is not an event")
    assert all("\\n" in ln or "\\r" in ln for ln in lines)


def test_scoring_a_folder_that_is_not_an_event_is_one_line(tmp_path, capsys):
    """Fixed in scorer/scoring/engine.py: ``score --submission`` on a folder not named after an event
    raised KeyError (a scorer traceback) from score_entry."""
    src = entry(tmp_path)
    folder = tmp_path / "submissions" / "fast-tensors" / "mlp\rsprint"
    shutil.copytree(src, folder)
    with pytest.raises(SubmissionError, match="is not an event"):
        score_entry(folder, folder.name, Job(repeats=1))
    rc = main(["score", "--submission", str(folder), "--repo", str(tmp_path)])
    out, err = capsys.readouterr()
    assert rc == 1 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("tinymlperf score: error: ")
    assert "\r" not in err and "'mlp\\rsprint' is not an event" in err
    assert not (tmp_path / "results").exists()


def test_directory_names_are_checked_too(tmp_path, capsys):
    folder = entry(tmp_path)
    (folder / "sub\ndir").mkdir()
    (folder / "sub\ndir" / "x.py").write_text("x = 1\n")
    (folder / "__pycache__").mkdir()  # ignored, never copied
    (folder / "__pycache__" / "submission.cpython-312.pyc").write_bytes(b"\0")
    assert_invalid(folder, capsys, "sub\\ndir: file names must be ASCII")


def test_fifo_and_other_special_files(tmp_path, capsys):
    folder = entry(tmp_path)
    os.mkfifo(folder / "pipe.txt")
    t0 = time.monotonic()
    assert_invalid(folder, capsys, "pipe.txt: only regular files are allowed")
    assert time.monotonic() - t0 < 10  # never opened (a FIFO would block)


def test_fifo_as_metadata_does_not_block(tmp_path, capsys):
    folder = entry(tmp_path)
    (folder / "submission.json").unlink()
    os.mkfifo(folder / "submission.json")
    assert_invalid(folder, capsys, "missing submission.json", "only regular files are allowed")


def test_too_many_files(tmp_path, capsys):
    folder = entry(tmp_path)
    for i in range(submission.MAX_FILES + 5):
        (folder / f"f{i:03d}.txt").write_text("")
    assert_invalid(folder, capsys, f"more than {submission.MAX_FILES} files")


def test_folder_too_large(tmp_path, capsys):
    folder = entry(tmp_path)
    with open(folder / "notes.txt", "wb") as f:
        f.truncate(submission.MAX_FOLDER_BYTES + 1)
    lines = assert_invalid(folder, capsys, "MiB; the limit is 25 MiB")
    assert any("flagged for review" in ln for ln in lines)  # a big data file is also flagged


def test_team_id_that_does_not_match_the_folder(tmp_path, capsys):
    folder = entry(tmp_path)
    set_meta(folder, lambda m: m["team"].update(id="someone-else"))
    assert_invalid(folder, capsys, "'someone-else' does not match the folder 'fast-tensors'")


def test_problem_lines_are_always_one_line():
    p = Problem("a\nb", "c\rd\u2028e\x00")
    assert str(p) == "a\\nb: c\\rd\\u2028e\\x00"


def patch_zip(
    path: Path, flags: int | None = None, method: int | None = None, scramble: bool = False
) -> None:
    """Rewrite the first member's headers (flag bits, compression method) or its data."""
    data = bytearray(path.read_bytes())
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    if flags is not None:
        struct.pack_into("<H", data, local + 6, flags)
        struct.pack_into("<H", data, central + 8, flags)
    if method is not None:
        struct.pack_into("<H", data, local + 8, method)
        struct.pack_into("<H", data, central + 10, method)
    if scramble:
        name_len, extra_len = struct.unpack_from("<HH", data, local + 26)
        start = local + 30 + name_len + extra_len
        for i in range(start, start + 16):
            data[i] ^= 0x5A
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "compression,change",
    [
        (zipfile.ZIP_STORED, {"flags": 1}),  # "encrypted": RuntimeError
        (zipfile.ZIP_STORED, {"method": 99}),  # AES / unknown: NotImplementedError
        (zipfile.ZIP_DEFLATED, {"scramble": True}),  # corrupt deflate stream: zlib.error
        (zipfile.ZIP_BZIP2, {"scramble": True}),
        (zipfile.ZIP_LZMA, {"scramble": True}),
    ],
)
def test_npz_members_that_cannot_be_read(tmp_path, capsys, compression, change):
    """Fixed in scorer/validate/weights.py: an encrypted member, an unknown compression method and a
    corrupt deflate stream escaped check_weights as RuntimeError, NotImplementedError and
    zlib.error: validate crashed with a traceback."""
    folder = entry(tmp_path, "pkg-team", CNN)
    path = folder / "weights.npz"
    with zipfile.ZipFile(path, "w", compression) as z:
        z.writestr("w.npy", npy_bytes(np.zeros(1000)))
    patch_zip(path, **change)
    lines = assert_invalid(folder, capsys)
    assert any(
        "weights.npz" in ln and ("not a valid .npz archive" in ln or "not a valid .npy array" in ln)
        for ln in lines
    ), lines


def test_deeply_nested_python_does_not_crash_the_checker(tmp_path, capsys):
    """Fixed in scorer/validate/source.py: the recursive AST visitor raised RecursionError on a chain of
    900 ``+`` (validate crashed), and ast.parse itself on 100,000."""
    folder = entry(tmp_path)
    (folder / "helper.py").write_text("x = 1" + " + 1" * 1500 + "\nimport torch\ny = eval('1')\n")
    (folder / "submission.py").write_text(
        (folder / "submission.py").read_text() + "\nimport helper  # noqa\n"
    )
    assert_invalid(folder, capsys, "helper.py:2: imports 'torch'", "helper.py:3: calls eval()")
    deep = "x = a" + ".b" * 100_000 + "\n"
    (folder / "helper.py").write_text(deep)
    try:
        ast.parse(deep)
    except (RecursionError, MemoryError, SyntaxError):
        # Python 3.11 and later: the parser itself gives up, and the checker says so.
        assert_invalid(folder, capsys, "helper.py: does not parse: an expression nested too deeply")
    else:
        # Python 3.10's parser takes it; the checker must still walk it without crashing.
        rc, lines = validate_cli(folder, capsys)
        assert rc == 0, lines


def test_hashing_a_huge_file_streams(tmp_path, capsys):
    """Fixed in scorer/validate/submission.py: content_hash read every file whole, and score_entry hashes
    invalid folders too, so a multi-gigabyte (sparse) file cost the scorer that much memory."""
    import hashlib
    import tracemalloc

    folder = entry(tmp_path)
    old_way = hashlib.sha256()
    files, _ = submission.list_files(folder)
    for path in sorted(files, key=lambda p: p.relative_to(folder).as_posix()):
        rel, data = path.relative_to(folder).as_posix().encode(), path.read_bytes()
        old_way.update(len(rel).to_bytes(8, "big") + rel + len(data).to_bytes(8, "big") + data)
    assert submission.content_hash(folder) == "sha256:" + old_way.hexdigest()  # same digest
    with open(folder / "notes.txt", "wb") as f:
        f.truncate(64 * 2**20)
    tracemalloc.start()
    try:
        digest = submission.content_hash(folder)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert digest.startswith("sha256:") and peak < 16 * 2**20
    assert_invalid(folder, capsys, "the limit is 25 MiB")
