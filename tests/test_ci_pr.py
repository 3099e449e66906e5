"""End-to-end tests of ``tinymlperf ci pr`` in a temporary git repository.

Each test builds a repository with a ``main`` branch (a baseline MLP, a leader's record, a
stand-in scorer/ and workflow) and a pull-request branch, then runs the check as the workflow
does. Scope and path problems need no scoring and run in well under a second; tests that
score on the real MNIST data are marked slow and use ``--repeats 1``.

    .venv/bin/python -m pytest tests/test_ci_pr.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from scorer.cli import main as cli
from scorer.contract import schema
from scorer.pr.check import materialise
from scorer.text import github_md as md

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "pr"
REAL_BASELINE = ROOT / "submissions" / "baseline" / "mlp_sprint"


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return out.stdout


def put_entry(
    repo: Path, team: str, source: Path = FIXTURES / "good_mlp", event: str = "mlp_sprint"
) -> Path:
    """Copy a fixture entry to submissions/<team>/<event>/ with the team id filled in."""
    folder = repo / "submissions" / team / event
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("__pycache__"))
    meta = json.loads((folder / "submission.json").read_text())
    meta["team"]["id"] = team
    (folder / "submission.json").write_text(json.dumps(meta, indent=2) + "\n")
    return folder


def make_repo(path: Path) -> Path:
    """A repository like the real one, in miniature, on branch main."""
    repo = path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for key, value in (
        ("user.name", "Test"),
        ("user.email", "test@example.com"),
        ("commit.gpgsign", "false"),
    ):
        git(repo, "config", key, value)
    if (REAL_BASELINE / "submission.json").is_file():
        shutil.copytree(
            REAL_BASELINE,
            repo / "submissions" / "baseline" / "mlp_sprint",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    else:
        put_entry(repo, "baseline")
    shutil.copytree(FIXTURES / "results", repo / "results")
    (repo / "scorer").mkdir()
    (repo / "scorer" / "__init__.py").write_text('__version__ = "0.1.0"\n')
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "pr.yml").write_text("name: pr\n")
    put_entry(repo, "old-team")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "main")
    return repo


def branch(repo: Path, name: str, change) -> None:
    """A pull-request branch off main with one commit made by ``change(repo)``."""
    git(repo, "switch", "-q", "-c", name, "main")
    change(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", name)
    git(repo, "switch", "-q", "main")


def run_check(
    repo: Path, head: str, data: Path | None = None, capsys=None
) -> tuple[int, dict, str]:
    out = repo.parent
    argv = [
        "ci",
        "pr",
        "--repo",
        str(repo),
        "--base",
        "main",
        "--head",
        head,
        "--pr-number",
        "7",
        "--report",
        str(out / "pr-report.md"),
        "--summary",
        str(out / "pr-summary.json"),
        "--repeats",
        "1",
    ]
    if data is not None:
        argv += ["--data", str(data)]
    code = cli.main(argv)
    summary = json.loads((out / "pr-summary.json").read_text())
    assert schema.validate(summary, "pr-summary") == []
    return code, summary, (out / "pr-report.md").read_text()


@pytest.fixture
def repo(tmp_path) -> Path:
    return make_repo(tmp_path)


# --- scope: fast, nothing is scored ------------------------------------------------


def _also(path: str, text: str = "x = 1\n"):
    def change(repo: Path) -> None:
        put_entry(repo, "new-team")
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    return change


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("submissions/old-team/mlp_sprint/submission.py", "2 teams"),
        ("scorer/scoring/engine.py", "the scorer is maintained by the maintainers"),
        (".github/workflows/pr.yml", "workflows and repository settings are maintainers-only"),
        ("results/new-team/mlp_sprint.json", "results/ holds official records"),
        ("README.md", "a submission pull request changes only submissions/"),
    ],
)
def test_a_change_outside_the_teams_folder_fails_without_scoring(repo, path, says):
    branch(repo, "pr", _also(path))
    code, summary, report = run_check(repo, "pr")
    assert code == 1 and summary["verdict"] == "fail"
    assert any(says in p["message"] for p in summary["problems"]), summary["problems"]
    assert [e["status"] for e in summary["entries"]] == ["not_scored"] * len(summary["entries"])
    assert says.replace("/", "/") in report.replace("&#95;", "_")
    assert summary["pr_number"] == 7 and len(summary["head"]["sha"]) == 40


def test_the_baseline_team_is_maintainers_only(repo):
    branch(
        repo,
        "pr",
        lambda r: (r / "submissions/baseline/mlp_sprint/submission.py").write_text("# faster\n"),
    )
    code, summary, _ = run_check(repo, "pr")
    assert code == 1
    assert "baseline team is maintainers-only" in summary["problems"][0]["message"]
    assert summary["entries"][0]["status"] == "not_scored"


def test_a_file_beside_the_event_folders_is_out_of_place(repo):
    branch(repo, "pr", lambda r: (r / "submissions" / "old-team" / "notes.md").write_text("hi\n"))
    code, summary, _ = run_check(repo, "pr")
    assert (
        code == 1
        and "inside submissions/<team-id>/<event-id>/" in summary["problems"][0]["message"]
    )


def test_a_control_character_in_a_path_is_rejected(repo):
    def change(r: Path) -> None:
        put_entry(r, "new-team")
        (r / "submissions" / "new-team" / "mlp_sprint" / "evil\nname.py").write_text("x = 1\n")

    branch(repo, "pr", change)
    code, summary, report = run_check(repo, "pr")
    assert code == 1
    bad = [p for p in summary["problems"] if p["kind"] == "path"]
    assert bad and "evil\\nname.py" in bad[0]["where"] and "\n" not in bad[0]["where"]
    assert "evil\nname" not in report


def test_an_unknown_ref_is_a_usage_error(repo, capsys):
    code = cli.main(["ci", "pr", "--repo", str(repo), "--base", "main", "--head", "no-such-branch"])
    assert code == 2
    assert "--head no-such-branch: no such commit" in capsys.readouterr().err


def test_deleting_an_entry_is_reported(repo):
    branch(repo, "pr", lambda r: shutil.rmtree(r / "submissions" / "old-team" / "mlp_sprint"))
    code, summary, _ = run_check(repo, "pr")
    assert code == 1 and summary["entries"][0]["status"] == "deleted"


# --- paths inside the entry: materialised from git objects, never followed -----------


def test_a_symlink_is_reported_and_never_followed(repo, tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_text("TOKEN = 'do not read'\n")

    def change(r: Path) -> None:
        folder = put_entry(r, "new-team")
        os.symlink(secret, folder / "leak.py")
        os.symlink("/etc", folder / "etc")

    branch(repo, "pr", change)
    code, summary, report = run_check(repo, "pr")
    assert code == 1
    entry = summary["entries"][0]
    assert entry["status"] == "invalid"
    where = {p["where"]: p["message"] for p in entry["problems"]}
    assert "symbolic link" in where["submissions/new-team/mlp_sprint/leak.py"]
    assert "symbolic link" in where["submissions/new-team/mlp_sprint/etc"]
    assert "do not read" not in report

    # Materialised on its own: the link is not on disk, the regular files are.
    head = git(repo, "rev-parse", "pr").strip()
    dest = tmp_path / "out"
    problems = materialise(repo, head, "submissions/new-team/mlp_sprint", dest)
    folder = dest / "submissions" / "new-team" / "mlp_sprint"
    assert len(problems) == 2 and (folder / "submission.py").is_file()
    assert not (folder / "leak.py").exists() and not (folder / "leak.py").is_symlink()
    assert not any(p.is_symlink() for p in dest.rglob("*"))


def test_materialise_writes_nested_folders_and_only_the_entry(repo, tmp_path):
    def change(r: Path) -> None:
        folder = put_entry(r, "new-team")
        (folder / "lib").mkdir()
        (folder / "lib" / "__init__.py").write_text("")
        (folder / "lib" / "ops.py").write_text("SCALE = 2\n")
        put_entry(r, "new-team", event="mlp_sprint_extra")  # a sibling whose name shares the prefix

    branch(repo, "pr", change)
    dest = tmp_path / "out"
    assert (
        materialise(
            repo, git(repo, "rev-parse", "pr").strip(), "submissions/new-team/mlp_sprint", dest
        )
        == []
    )
    files = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert files == [
        f"submissions/new-team/mlp_sprint/{n}"
        for n in ("README.md", "lib/__init__.py", "lib/ops.py", "submission.json", "submission.py")
    ]


def test_a_submodule_is_reported(repo):
    def change(r: Path) -> None:
        put_entry(r, "new-team")
        commit = git(r, "rev-parse", "HEAD").strip()
        git(
            r,
            "update-index",
            "--add",
            "--cacheinfo",
            f"160000,{commit},submissions/new-team/mlp_sprint/vendored",
        )
        # An empty folder stands for the unpopulated submodule, so `git add -A` keeps the link.
        (r / "submissions" / "new-team" / "mlp_sprint" / "vendored").mkdir()

    branch(repo, "pr", change)
    code, summary, _ = run_check(repo, "pr")
    assert code == 1
    assert any("submodule" in p["message"] for p in summary["entries"][0]["problems"])


def test_submitted_text_is_escaped_in_the_report(repo):
    hostile = "<script>alert(1)</script> | ](javascript:alert(1)) @maintainers"

    def change(r: Path) -> None:
        folder = put_entry(r, "new-team")
        meta = json.loads((folder / "submission.json").read_text())
        meta["team"]["id"] = hostile  # fails the schema, and the message quotes it
        (folder / "submission.json").write_text(json.dumps(meta))

    branch(repo, "pr", change)
    code, summary, report = run_check(repo, "pr")
    assert code == 1 and summary["entries"][0]["status"] == "invalid"
    assert all(
        p["where"].startswith("submissions/new-team/mlp_sprint/")
        for p in summary["entries"][0]["problems"]
    )
    assert "&#60;script&#62;" in report or "&lt;script" in report
    for raw in ("<script", "](javascript", "@maintainers", " | ]"):
        assert raw not in report


def test_md_makes_text_inert():
    text = md("a|b <img src=x> [x](javascript:y) `c` $x$ @you\u202eevil\n# h")
    for raw in ("|", "<", ">", "[", "]", "(", "`", "$", "@you", "\u202e", "\n"):
        assert raw not in text


# --- scored on the real data --------------------------------------------------------


@pytest.mark.slow
def test_a_good_new_entry_passes_with_a_report(repo, data_dir):
    branch(repo, "pr", lambda r: put_entry(r, "new-team"))
    code, summary, report = run_check(repo, "pr", data_dir)
    assert code == 0 and summary["verdict"] == "pass", summary
    entry = summary["entries"][0]
    assert entry["status"] == "ok" and entry["qualified"]
    assert entry["metrics"]["quality"]["median"] >= 0.95
    assert entry["metrics"]["speed"]["unit"] == "s" and entry["metrics"]["memory"]["unit"] == "MiB"
    assert entry["rank"].startswith("#") and entry["leader"]["team"] == "fast-tensors"
    assert {c["metric"] for c in entry["claimed"]} == {"accuracy", "train_time", "peak_memory"}
    assert entry["baseline"]["speedup"] > 0
    assert summary["team"] == "new-team"
    for needle in (
        "passed",
        "Qualifies",
        "Accuracy",
        "Training time",
        "Peak memory",
        "fast-tensors",
        "MiB",
    ):
        assert needle in report


@pytest.mark.slow
def test_an_entry_below_the_threshold_fails_with_its_numbers(repo, data_dir):
    branch(repo, "pr", lambda r: put_entry(r, "new-team", FIXTURES / "weak_mlp"))
    code, summary, report = run_check(repo, "pr", data_dir)
    assert code == 1 and summary["verdict"] == "fail"
    entry = summary["entries"][0]
    assert entry["status"] == "below_threshold" and not entry["qualified"]
    accuracy = entry["metrics"]["quality"]["median"]
    assert accuracy < 0.95
    assert f"{accuracy:.4g}" in report and "0.95" in report
    assert "improve the quality" in report


# --- ci comment: the bot's comment, rendered from an untrusted summary ----------------


def forged_summary() -> dict:
    """The schema's own example, with hostile text in every free-form string."""
    data = json.loads(json.dumps(schema.load_schema("pr-summary")["examples"][0]))
    entry = data["entries"][0]
    entry["team"] = "<script>alert(1)</script>"
    entry["reason"] = "<img src=x onerror=alert(1)> [click](https://evil.example) @someone"
    entry["rank"] = "[win](javascript:alert(1))"
    entry["leader"]["team"] = "a|b"
    entry["metrics"]["speed"]["unit"] = "s](javascript:x)"
    entry["problems"] = [
        {
            "where": "x | y",
            "message": "`code` <b>bold</b>",
            "severity": "error",
            "kind": "validation",
        }
    ]
    data["scorer_version"] = "<!-- tinymlperf-pr-check -->"
    return data


def test_comment_is_rendered_with_every_string_escaped(tmp_path):
    (tmp_path / "s.json").write_text(json.dumps(forged_summary()))
    url = "https://github.com/tinymlperf/leaderboard/actions/runs/42"
    assert (
        cli.main(
            [
                "ci",
                "comment",
                "--summary",
                str(tmp_path / "s.json"),
                "--out",
                str(tmp_path / "c.md"),
                "--run-url",
                url,
            ]
        )
        == 0
    )
    body = (tmp_path / "c.md").read_text()
    assert body.startswith("<!-- tinymlperf-pr-check -->\n") and body.count("<!--") == 1
    assert f"[workflow run]({url})" in body
    for raw in (
        "<script",
        "<img",
        "<b>",
        "](https://evil",
        "](javascript",
        "@someone",
        "a|b",
        "x | y",
        "`code`",
    ):
        assert raw not in body, raw


def test_comment_refuses_a_summary_off_the_schema(tmp_path, capsys):
    data = forged_summary()
    data["body"] = "anything at all"
    (tmp_path / "s.json").write_text(json.dumps(data))
    assert (
        cli.main(
            [
                "ci",
                "comment",
                "--summary",
                str(tmp_path / "s.json"),
                "--out",
                str(tmp_path / "c.md"),
            ]
        )
        == 1
    )
    assert "does not match pr-summary.schema.json" in capsys.readouterr().err
    (tmp_path / "s.json").write_bytes(b"\xff not json")
    assert (
        cli.main(
            [
                "ci",
                "comment",
                "--summary",
                str(tmp_path / "s.json"),
                "--out",
                str(tmp_path / "c.md"),
            ]
        )
        == 1
    )
    assert not (tmp_path / "c.md").exists()


def test_comment_drops_a_run_url_that_is_not_a_workflow_run(tmp_path):
    (tmp_path / "s.json").write_text(json.dumps(schema.load_schema("pr-summary")["examples"][0]))
    bad = "javascript:alert(1)//github.com/a/b/actions/runs/1"
    assert (
        cli.main(
            [
                "ci",
                "comment",
                "--summary",
                str(tmp_path / "s.json"),
                "--out",
                str(tmp_path / "c.md"),
                "--run-url",
                bad,
            ]
        )
        == 0
    )
    assert "javascript" not in (tmp_path / "c.md").read_text()
