"""``tinymlperf validate`` on every fixture under tests/fixtures/submissions/.

``valid/<team>/<event>/`` must pass (exit 0, no error line). Each ``invalid/<case>/`` holds one
broken ``<team>/<event>/`` folder and an ``expected.txt`` listing the lines (or stable
substrings of them) validate must print. Every case runs twice: in-process through
``scorer.cli.main`` and as a real ``python -m scorer validate`` subprocess, and both must print
one ``where: message`` line per problem, never a traceback, and exit 1 (2 for usage errors).

Cases that git cannot hold (symlinks, control characters, 50 MB files, zip bombs) are built
in tmp_path by tests/test_hostile_files.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scorer.cli.main import main
from scorer.validate import submission

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "submissions"
VALID = sorted(p for p in FIXTURES.glob("valid/*/*") if p.is_dir())
CASES = sorted(p for p in (FIXTURES / "invalid").iterdir() if p.is_dir())


def case_folder(case: Path) -> Path:
    (folder,) = [p for p in case.glob("*/*") if p.is_dir()]
    return folder


def expected_lines(case: Path) -> list[str]:
    return [
        ln for ln in (case / "expected.txt").read_text(encoding="utf-8").splitlines() if ln.strip()
    ]


def rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def assert_clean_output(out: str, err: str, prefix: str) -> None:
    """One ``where: message`` line per problem, each naming a place in the folder."""
    assert "Traceback" not in out + err
    for line in out.splitlines():
        assert line.startswith(prefix), line
        where, sep, message = line.partition(": ")
        assert sep and where and message.strip(), line
    # stderr holds the one summary line only.
    assert [ln for ln in err.splitlines() if ln.strip()] == [
        ln for ln in err.splitlines() if "submission(s) valid" in ln
    ]


# --- the fixture set itself --------------------------------------------------


def test_fixture_set_is_complete():
    assert len(CASES) >= 12
    assert len(VALID) >= 2
    for case in CASES:
        assert (case / "expected.txt").is_file(), case
        assert expected_lines(case), case
        case_folder(case)  # exactly one <team>/<event> folder


# --- in process ---------------------------------------------------------------


@pytest.mark.parametrize("folder", VALID, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_valid_fixture_passes(folder, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert main(["validate", rel(folder)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "1 of 1 submission(s) valid" in err
    report = submission.check(folder, train_contract=True)
    assert report.ok and not report.problems, report.problems


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_invalid_fixture_fails_with_expected_lines(case, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    folder = case_folder(case)
    assert main(["validate", rel(folder)]) == 1
    out, err = capsys.readouterr()
    assert_clean_output(out, err, rel(case) + "/")
    lines = out.splitlines()
    for want in expected_lines(case):
        assert any(want in line for line in lines), f"{want!r} not in:\n{out}"
    assert "0 of 1 submission(s) valid" in err
    report = submission.check(folder, train_contract=True)
    assert not report.ok
    assert len(lines) == len(report.problems)  # one line per problem, no more


def test_several_folders_at_once_report_each(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    folders = [rel(p) for p in VALID] + [rel(case_folder(c)) for c in CASES[:3]]
    assert main(["validate", *folders]) == 1
    out, err = capsys.readouterr()
    assert f"{len(VALID)} of {len(folders)} submission(s) valid" in err
    for case in CASES[:3]:
        assert rel(case) in out


def test_default_is_every_submission_in_the_repository(tmp_path, capsys, monkeypatch):
    subs = tmp_path / "submissions"
    for folder in VALID:
        shutil.copytree(folder, subs / folder.parent.name / folder.name)
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 0
    assert f"{len(VALID)} of {len(VALID)} submission(s) valid" in capsys.readouterr().err
    broken = case_folder(FIXTURES / "invalid" / "team-mismatch")
    shutil.copytree(broken, subs / broken.parent.name / broken.name)
    assert main(["validate", "--repo", str(tmp_path)]) == 1
    out, _ = capsys.readouterr()
    assert "does not match the folder 'real-team'" in out


# --- usage errors: exit 2, one line, no traceback ------------------------------


def test_usage_error_no_submissions(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip().splitlines() == [
        "tinymlperf validate: error: no submissions found; name a folder or run inside the repository"
    ]


def test_usage_error_unknown_option(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["validate", "--bogus"])
    assert exit_.value.code == 2


def test_usage_error_repo_not_a_folder(tmp_path, capsys):
    assert main(["validate", "--repo", str(tmp_path / "nope")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_path_that_is_not_a_folder_is_a_problem_line(tmp_path, capsys):
    missing = tmp_path / "nowhere" / "mlp_sprint"
    assert main(["validate", str(missing)]) == 1
    out, _ = capsys.readouterr()
    assert (
        out.strip()
        == f"{missing}: not a submission folder; expected submissions/<team-id>/<event-id>/"
    )


# --- as a subprocess: the command CI and participants run -----------------------


def _spawn(args: list[str], cwd: Path = REPO) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return subprocess.Popen(
        [sys.executable, "-m", "scorer", "validate", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.fixture(scope="module")
def subprocess_runs():
    """All valid fixtures in one process, all invalid ones in another, started at once.

    One process per fixture would cost a second each on a busy runner; the per-fixture exit
    codes are checked in process above, and here each fixture's lines must still appear.
    """
    procs = {
        "valid": _spawn([rel(p) for p in VALID]),
        "invalid": _spawn([rel(case_folder(c)) for c in CASES]),
        "usage": _spawn(["--bogus"]),
        "none": _spawn([], cwd=Path("/")),
    }
    return {
        key: (proc.communicate(timeout=120), proc.returncode)[::-1] for key, proc in procs.items()
    }


def test_subprocess_valid(subprocess_runs):
    rc, (out, err) = subprocess_runs["valid"]
    assert (rc, out) == (0, ""), err
    assert err.strip() == f"{len(VALID)} of {len(VALID)} submission(s) valid"


def test_subprocess_invalid(subprocess_runs):
    rc, (out, err) = subprocess_runs["invalid"]
    assert rc == 1, (out, err)
    assert_clean_output(out, err, rel(FIXTURES / "invalid") + "/")
    assert f"0 of {len(CASES)} submission(s) valid" in err
    lines = out.splitlines()
    for case in CASES:
        mine = [ln for ln in lines if ln.startswith(rel(case) + "/")]
        assert len(mine) == len(
            submission.check(case_folder(case), train_contract=True).problems
        ), case.name
        for want in expected_lines(case):
            assert any(want in line for line in mine), (
                f"{case.name}: {want!r} not in:\n" + "\n".join(mine)
            )


def test_subprocess_usage_errors_exit_2(subprocess_runs):
    rc, (out, err) = subprocess_runs["usage"]
    assert rc == 2 and out == ""
    assert "Traceback" not in err and "unrecognized arguments: --bogus" in err
    rc, (out, err) = subprocess_runs["none"]
    assert rc == 2 and out == ""
    assert (
        err.strip().splitlines()[-1].startswith("tinymlperf validate: error: no submissions found")
    )


# --- answer-table flags (the review gate; the exploits are in tests/exploits/answers/) -----


def test_problem_stays_backward_compatible():
    """Three positional fields as before; a code only adds a bracketed tag to the line."""
    from scorer.contract.problems import Problem

    plain = Problem("a.py:1", "something", "warning")
    assert (plain.code, plain.needs_review) == ("", False)
    assert str(plain) == "a.py:1: warning: something"
    flagged = Problem(
        "a.txt", "a table; flagged for review", "warning", "answer-table/high-entropy"
    )
    assert (
        flagged.needs_review
        and str(flagged)
        == "a.txt: warning: a table; flagged for review [answer-table/high-entropy]"
    )


def test_every_review_flag_has_a_code_and_every_error_none(tmp_path):
    """Flags for review are warnings with answer-table/ codes; errors never need review."""
    import hashlib

    from scorer.contract import review

    folder = tmp_path / "submissions" / "some-team" / "mlp_sprint"
    shutil.copytree(REPO / "submissions" / "baseline" / "mlp_sprint", folder)
    meta = (folder / "submission.json").read_text().replace('"baseline"', '"some-team"', 1)
    (folder / "submission.json").write_text(meta)
    assert submission.check(folder).problems == []
    (folder / "labels.txt").write_text(
        "".join(f"{hashlib.sha256(bytes([i])).hexdigest()} {i % 10}\n" for i in range(100))
    )
    report = submission.check(folder)
    assert report.ok and report.problems
    assert all(p.needs_review and p.severity == "warning" for p in report.problems), report.problems
    assert review.record_flags(report.problems) == ["answer-table/high-entropy", "large_literal"]


@pytest.mark.parametrize(
    ("pieces", "flagged"),
    [
        (40, False),  # 40 x 3,000 characters = 120,000: under the file's 128 KiB
        (50, True),  # 150,000 characters in literals each far under the 64 KiB of one literal
    ],
)
def test_literal_data_split_into_small_pieces_adds_up(tmp_path, pieces, flagged):
    """Weights hidden in code as many small base64 strings are flagged like one big literal."""
    folder = tmp_path / "submissions" / "some-team" / "mlp_sprint"
    shutil.copytree(REPO / "submissions" / "baseline" / "mlp_sprint", folder)
    meta = (folder / "submission.json").read_text().replace('"baseline"', '"some-team"', 1)
    (folder / "submission.json").write_text(meta)
    lines = [f"W{i} = {'QUJD' * 750!r}" for i in range(pieces)]
    (folder / "tables.py").write_text("\n".join(lines) + "\n")
    codes = [p.code for p in submission.check(folder).problems]
    assert (codes == ["answer-table/literal"]) is flagged, codes
    if flagged:
        where = next(p.where for p in submission.check(folder).problems)
        assert where.endswith("tables.py:1")


@pytest.mark.parametrize(
    "manifest,want",
    [
        ('{"blas_threads": 1}', 1),
        ('{"blas_threads": 2}', 2),
        ("{}", None),
        ('{"blas_threads": "1"}', None),
        ('{"blas_threads": 0}', None),
        ('{"blas_threads": true}', None),
        ('{"blas_threads": 1.0}', None),
        ("[1]", None),
        ("not json", None),
    ],
)
def test_blas_threads_is_read_for_the_sandbox_only_when_it_is_a_positive_integer(
    tmp_path, manifest, want
):
    (tmp_path / "submission.json").write_text(manifest)
    assert submission.blas_threads(submission.read_metadata(tmp_path)[0]) == want


def test_the_cnn_baseline_asks_for_one_blas_thread():
    """Its predict() runs two threads of its own (see its README); two BLAS pools on two
    cores would fight them, so a manifest that lost the field would slow it down ~2x."""
    meta, _ = submission.read_metadata(REPO / "submissions" / "baseline" / "cnn_marathon")
    assert submission.blas_threads(meta) == 1
