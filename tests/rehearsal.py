"""A small local GitHub Actions runner for rehearsing .github/workflows/ (see test_rehearsal.py).

It reads a workflow file, expands its jobs (``needs:`` order, ``strategy.matrix``), evaluates
``${{ }}`` expressions in ``if:``, ``env:``, ``with:``, ``outputs:`` and names, runs every
``run:`` step with ``bash -e`` as GitHub does, and runs each ``uses:`` step through a
stand-in listed in ``ACTIONS``; an action without a stand-in fails the job (nothing is
skipped silently). ``docker``/``act`` would be more faithful but need a Docker daemon.

The expression evaluator supports what the workflows use and GitHub documents: literals,
context paths (``a.b``, ``a['b']``, hyphens in names), ``!``, ``==``, ``!=``, ``<``,
``<=``, ``>``, ``>=``, ``&&``, ``||`` (returning an operand, as GitHub does), loose equality
(strings compared case-insensitively, mixed types as numbers), and the functions
``success() failure() cancelled() always() fromJSON() toJSON() hashFiles() contains()
startsWith() endsWith() format() join()``. An ``if:`` without a status function means
``success() && (...)``. Anything else is a ``ExprError``, which fails the rehearsal.
"""

from __future__ import annotations

import fnmatch
import hashlib
import importlib.metadata
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SERVER_URL = "https://github.com"
T0 = time.monotonic()


class ExprError(Exception):
    pass


class StepError(Exception):
    pass


# --- expressions -------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|<=|>=|&&|\|\||[!<>().,\[\]*])|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"""
)
STATUS_FUNCS = {"success", "failure", "cancelled", "always"}


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExprError(f"cannot read {text[pos:]!r} in {text!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _num(v) -> float:
    if v is None:
        return 0.0
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip()) if v.strip() else 0.0
        except ValueError:
            return float("nan")
    return float("nan")


def _eq(a, b) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if type(a) is type(b) or (a is None and b is None):
        return a == b
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return a is b
    return _num(a) == _num(b)


def truthy(v) -> bool:
    if v is None or v is False or v == "":
        return False
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v == v and v != 0
    return True


def to_str(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dict):
        return "Object"
    if isinstance(v, list):
        return "Array"
    return str(v)


class Evaluator:
    """Evaluates one expression against ``contexts`` with ``funcs`` (name -> callable)."""

    def __init__(self, contexts: dict, funcs: dict):
        self.contexts, self.funcs = contexts, funcs

    def __call__(self, text: str):
        self.toks, self.i = _tokens(text), 0
        value = self._or()
        if self.i != len(self.toks):
            raise ExprError(f"unexpected {self.toks[self.i][1]!r} in {text!r}")
        return value

    def _peek(self, *values):
        return (
            self.i < len(self.toks)
            and self.toks[self.i][1] in values
            and self.toks[self.i][0] == "op"
        )

    def _take(self, value):
        if not self._peek(value):
            raise ExprError(f"expected {value!r}")
        self.i += 1

    def _or(self):
        left = self._and()
        while self._peek("||"):
            self.i += 1
            right = self._and()
            left = left if truthy(left) else right
        return left

    def _and(self):
        left = self._eq()
        while self._peek("&&"):
            self.i += 1
            right = self._eq()
            left = right if truthy(left) else left
        return left

    def _eq(self):
        left = self._cmp()
        while self._peek("==", "!="):
            op = self.toks[self.i][1]
            self.i += 1
            right = self._cmp()
            left = _eq(left, right) if op == "==" else not _eq(left, right)
        return left

    def _cmp(self):
        left = self._unary()
        while self._peek("<", "<=", ">", ">="):
            op = self.toks[self.i][1]
            self.i += 1
            right = self._unary()
            a, b = (
                (left.casefold(), right.casefold())
                if isinstance(left, str) and isinstance(right, str)
                else (_num(left), _num(right))
            )
            left = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        return left

    def _unary(self):
        if self._peek("!"):
            self.i += 1
            return not truthy(self._unary())
        return self._postfix(self._primary())

    def _primary(self):
        if self.i >= len(self.toks):
            raise ExprError("unexpected end of expression")
        kind, text = self.toks[self.i]
        self.i += 1
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "op" and text == "(":
            value = self._or()
            self._take(")")
            return value
        if kind == "name":
            if text in ("true", "false"):
                return text == "true"
            if text == "null":
                return None
            if self._peek("("):
                self.i += 1
                args = []
                while not self._peek(")"):
                    args.append(self._or())
                    if not self._peek(")"):
                        self._take(",")
                self._take(")")
                if text.lower() not in {k.lower() for k in self.funcs}:
                    raise ExprError(f"unsupported function {text}()")
                func = next(f for k, f in self.funcs.items() if k.lower() == text.lower())
                return func(*args)
            if text not in self.contexts:
                raise ExprError(f"unknown context {text!r}")
            return self.contexts[text]
        raise ExprError(f"unexpected {text!r}")

    def _postfix(self, value):
        while True:
            if self._peek("."):
                self.i += 1
                kind, name = self.toks[self.i]
                self.i += 1
                if name == "*":
                    raise ExprError("object filters (.*) are not supported")
                value = self._index(value, name)
            elif self._peek("["):
                self.i += 1
                key = self._or()
                self._take("]")
                value = self._index(value, key)
            else:
                return value

    @staticmethod
    def _index(value, key):
        if isinstance(value, dict):
            if isinstance(key, str):
                for k, v in value.items():
                    if k.lower() == key.lower():
                        return v
            return None
        if isinstance(value, list) and isinstance(key, (int, float)) and not isinstance(key, bool):
            return value[int(key)] if 0 <= int(key) < len(value) else None
        return None


_TEMPLATE = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def substitute(value, evaluate):
    """``${{ }}`` in a string (a lone expression keeps its type), recursively in lists/dicts."""
    if isinstance(value, dict):
        return {k: substitute(v, evaluate) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, evaluate) for v in value]
    if not isinstance(value, str):
        return value
    lone = _TEMPLATE.fullmatch(value.strip())
    if lone:
        return evaluate(lone.group(1))
    return _TEMPLATE.sub(lambda m: to_str(evaluate(m.group(1))), value)


def condition(text, evaluate) -> bool:
    if text is None:
        text = "success()"
    if isinstance(text, bool):
        text = "true" if text else "false"
    text = str(text).strip()
    lone = _TEMPLATE.fullmatch(text)
    if lone:
        text = lone.group(1).strip()
    names = {t[1].lower() for t in _tokens(text) if t[0] == "name"}
    if not names & STATUS_FUNCS:
        text = f"success() && ({text})"
    return truthy(evaluate(text))


def hash_files(workspace: Path, *patterns: str) -> str:
    """GitHub's hashFiles(): SHA-256 over the SHA-256 of each matching file, '' for none."""
    files = sorted({p for pat in patterns for p in workspace.glob(pat) if p.is_file()})
    if not files:
        return ""
    outer = hashlib.sha256()
    for path in files:
        outer.update(hashlib.sha256(path.read_bytes()).digest())
    return outer.hexdigest()


def parse_kv_file(path: Path) -> dict:
    """GITHUB_OUTPUT / GITHUB_ENV: ``name=value`` lines and ``name<<DELIM`` blocks."""
    out, lines = {}, path.read_text().splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            block = []
            i += 1
            while i < len(lines) and lines[i] != delim:
                block.append(lines[i])
                i += 1
            if i == len(lines):
                raise StepError(f"{path.name}: no closing {delim!r} for {name!r}")
            out[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        elif line.strip():
            raise StepError(f"{path.name}: cannot read line {line!r}")
        i += 1
    return out


def paths_match(patterns: list[str], files: list[str]) -> bool:
    """An ``on.<event>.paths`` filter (``**`` crosses folders, ``*`` does not; ``!`` negates)."""

    def rx(pat: str) -> re.Pattern:
        out = ""
        i = 0
        while i < len(pat):
            if pat.startswith("**", i):
                out += ".*"
                i += 2
            elif pat[i] == "*":
                out += "[^/]*"
                i += 1
            else:
                out += re.escape(pat[i])
                i += 1
        return re.compile(out + r"\Z")

    for f in files:
        hit = False
        for pat in patterns:
            if pat.startswith("!"):
                hit = hit and not rx(pat[1:]).match(f)
            elif rx(pat).match(f):
                hit = True
        if hit:
            return True
    return False


# --- the world: origin, API, artifacts -----------------------------------------------------


def git(cwd: Path, *args: str, check: bool = True, env: dict | None = None) -> str:
    out = subprocess.run(
        ["git", "-C", str(cwd), *args], capture_output=True, text=True, check=False, env=env
    )
    if check and out.returncode:
        raise StepError(f"git {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout


def pinned_python(workflows: Path) -> set[str]:
    """The Python versions the workflows' setup-python steps pin (a matrix's expression aside)."""
    found = set()
    for path in sorted(workflows.glob("*.yml")):
        doc = yaml.safe_load(path.read_text()) or {}
        for job in (doc.get("jobs") or {}).values():
            for step in job.get("steps") or ():
                version = str((step.get("with") or {}).get("python-version", ""))
                if (
                    str(step.get("uses", "")).startswith("actions/setup-python")
                    and "${{" not in version
                ):
                    found.add(version)
    return found


def skip_unless_pinned_python(workflows: Path) -> None:
    """The rehearsal runs a workflow's steps with this interpreter, as setup-python would give
    the pinned one; on another Python (the lowest-supported leg of tests.yml) it cannot."""
    import pytest

    have = f"{sys.version_info.major}.{sys.version_info.minor}"
    pinned = pinned_python(workflows)
    if pinned and pinned != {have}:
        pytest.skip(f"the workflows pin Python {', '.join(sorted(pinned))}; this is {have}")


@dataclass
class Run:
    id: int
    workflow: str
    event: str
    head_sha: str
    head_branch: str
    head_repo: str
    conclusion: str = "success"
    jobs: dict = field(default_factory=dict)  # job id (or id + matrix leg) -> result
    summaries: dict = field(default_factory=dict)  # job id -> GITHUB_STEP_SUMMARY text
    logs: list = field(default_factory=list)
    artifacts: dict = field(default_factory=dict)  # name -> folder

    @property
    def html_url(self) -> str:
        return f"{SERVER_URL}/{World.REPO}/actions/runs/{self.id}"

    def log(self) -> str:
        return "\n".join(self.logs)


class World:
    """The local stand-ins for github.com: a bare origin, runs, artifacts and a REST API."""

    REPO = "tinymlperf/leaderboard"

    def __init__(self, root: Path, source: Path, venv_site: str, env: dict):
        self.root, self.source, self.venv_site, self.base_env = root, source, venv_site, env
        self.origin = root / "origin.git"
        self.runs: list[Run] = []
        self.api_file = root / "api.json"
        self.api = {
            "repo": self.REPO,
            "origin": str(self.origin),
            "pulls": {},
            "comments": [],
            "tokens": {},
        }
        self.save_api()
        self.shims = root / "shims"
        self.shims.mkdir(parents=True)
        for name, text in SHIMS.items():
            (self.shims / name).write_text(text.replace("@PYTHON@", sys.executable))
            (self.shims / name).chmod(0o755)
        self.install_cache: dict[str, Path] = {}  # scorer tree -> a real install's files
        self.hooks: dict[
            str, object
        ] = {}  # job id -> called once just before that job starts (a race)

    def save_api(self):
        self.api_file.write_text(json.dumps(self.api, indent=1))

    def load_api(self) -> dict:
        self.api = json.loads(self.api_file.read_text())
        return self.api

    def init_origin(self, files: dict[str, bytes] | None = None) -> str:
        """The bare origin with one commit on main: the working tree's tracked files."""
        work = self.root / "seed"
        work.mkdir()
        git(work, "init", "-q", "-b", "main")
        listed = git(
            self.source, "ls-files", "-z", "--cached", "--others", "--exclude-standard"
        ).split("\0")
        for rel in filter(None, listed):
            src = self.source / rel
            if src.is_file() and not src.is_symlink():
                dst = work / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)
        for rel, data in (files or {}).items():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            (work / rel).write_bytes(data)
        self.commit(work, "Initial leaderboard")
        subprocess.run(["git", "init", "-q", "--bare", str(self.origin)], check=True)
        git(self.origin, "config", "uploadpack.allowAnySHA1InWant", "true")
        git(work, "push", "-q", self.origin.as_uri(), "HEAD:refs/heads/main")
        return git(work, "rev-parse", "HEAD").strip()

    @staticmethod
    def commit(work: Path, message: str) -> str:
        git(work, "add", "-A")
        git(
            work,
            "-c",
            "user.name=Rehearsal",
            "-c",
            "user.email=rehearsal@example.com",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            message,
        )
        return git(work, "rev-parse", "HEAD").strip()

    def clone(self, name: str, ref: str = "main") -> Path:
        work = self.root / name
        subprocess.run(
            ["git", "clone", "-q", "-b", ref, self.origin.as_uri(), str(work)], check=True
        )
        return work

    def main_sha(self) -> str:
        return git(self.origin, "rev-parse", "refs/heads/main").strip()

    def open_pr(
        self, number: int, fork_work: Path, fork: str = "student/leaderboard", branch: str = "entry"
    ) -> dict:
        """A fork's pull request: its head is at refs/pull/N/head on origin, as GitHub keeps it."""
        head = git(fork_work, "rev-parse", "HEAD").strip()
        git(fork_work, "push", "-q", "-f", self.origin.as_uri(), f"HEAD:refs/pull/{number}/head")
        base = self.main_sha()
        merge_base = git(self.origin, "merge-base", base, head).strip()
        files = [
            f
            for f in git(
                self.origin, "diff", "--name-only", "-z", "--no-renames", merge_base, head
            ).split("\0")
            if f
        ]
        pr = {
            "number": number,
            "state": "open",
            "head": {"sha": head, "ref": branch, "repo": {"full_name": fork}},
            "base": {"sha": base, "ref": "main", "repo": {"full_name": self.REPO}},
            "files": [{"filename": f, "status": "modified"} for f in files],
        }
        self.load_api()["pulls"][str(number)] = pr
        self.save_api()
        return pr

    def workflow_at(self, sha: str, name: str) -> dict:
        return load_workflow(git(self.origin, "show", f"{sha}:.github/workflows/{name}"))

    def new_run(
        self, workflow: dict, event: str, head_sha: str, head_branch: str, head_repo: str
    ) -> Run:
        run = Run(
            id=1000 + len(self.runs),
            workflow=workflow["name"],
            event=event,
            head_sha=head_sha,
            head_branch=head_branch,
            head_repo=head_repo,
        )
        self.runs.append(run)
        return run

    # -- triggers, as GitHub starts workflows --

    def pull_request(self, pr: dict, action: str = "opened") -> Run | None:
        """pr.yml as the pull request's head has it (GitHub runs a pull_request workflow from the PR)."""
        workflow = self.workflow_at(pr["head"]["sha"], "pr.yml")
        on = workflow["on"].get("pull_request") or {}
        if "paths" in on and not paths_match(on["paths"], [f["filename"] for f in pr["files"]]):
            return None
        payload = {
            "action": action,
            "number": pr["number"],
            "pull_request": {k: pr[k] for k in ("number", "state", "head", "base")},
            "repository": {"full_name": self.REPO, "default_branch": "main"},
        }
        run = self.new_run(
            workflow,
            "pull_request",
            pr["head"]["sha"],
            pr["head"]["ref"],
            pr["head"]["repo"]["full_name"],
        )
        Runner(
            self,
            workflow,
            run,
            "pull_request",
            payload,
            sha=pr["head"]["sha"],
            ref=f"refs/pull/{pr['number']}/merge",
        ).run()
        return run

    def workflow_run(self, done: Run, name: str = "pr-comment.yml") -> Run | None:
        """``name`` (pr-comment.yml, reproduce.yml) from the default branch, started by a
        finished run's name; None when that workflow does not listen for it."""
        workflow = self.workflow_at(self.main_sha(), name)
        on = workflow["on"]["workflow_run"]
        if done.workflow not in on["workflows"]:
            return None
        payload = {
            "action": "completed",
            "workflow_run": {
                "id": done.id,
                "name": done.workflow,
                "event": done.event,
                "status": "completed",
                "conclusion": done.conclusion,
                "head_sha": done.head_sha,
                "head_branch": done.head_branch,
                "html_url": done.html_url,
                "head_repository": {"full_name": done.head_repo},
                "pull_requests": [],
            },
            "repository": {"full_name": self.REPO, "default_branch": "main"},
        }
        run = self.new_run(workflow, "workflow_run", self.main_sha(), "main", self.REPO)
        Runner(
            self, workflow, run, "workflow_run", payload, sha=self.main_sha(), ref="refs/heads/main"
        ).run()
        return run

    def push_main(self, before: str) -> Run:
        sha = self.main_sha()
        workflow = self.workflow_at(sha, "publish.yml")
        assert "main" in workflow["on"]["push"]["branches"]
        payload = {
            "ref": "refs/heads/main",
            "before": before,
            "after": sha,
            "repository": {"full_name": self.REPO, "default_branch": "main"},
        }
        run = self.new_run(workflow, "push", sha, "main", self.REPO)
        Runner(self, workflow, run, "push", payload, sha=sha, ref="refs/heads/main").run()
        return run

    def dispatch_publish(self) -> Run:
        return self.dispatch("publish.yml")

    def dispatch(self, name: str, inputs: dict | None = None) -> Run:
        """A maintainer's workflow_dispatch of ``name`` on main, with ``inputs`` checked
        against the workflow's declared inputs (required ones present, choices respected)."""
        sha = self.main_sha()
        workflow = self.workflow_at(sha, name)
        assert "workflow_dispatch" in workflow["on"]
        declared = (workflow["on"]["workflow_dispatch"] or {}).get("inputs") or {}
        inputs = dict(inputs or {})
        for key, spec in declared.items():
            if spec.get("required") and key not in inputs:
                raise StepError(f"{name}: the required input {key!r} is missing")
            if (
                spec.get("type") == "choice"
                and key in inputs
                and inputs[key] not in spec["options"]
            ):
                raise StepError(f"{name}: {inputs[key]!r} is not one of the choices of {key!r}")
        unknown = set(inputs) - set(declared)
        if unknown:
            raise StepError(f"{name}: unexpected inputs {sorted(unknown)}")
        payload = {
            "ref": "refs/heads/main",
            "inputs": inputs,
            "repository": {"full_name": self.REPO, "default_branch": "main"},
        }
        run = self.new_run(workflow, "workflow_dispatch", sha, "main", self.REPO)
        Runner(
            self, workflow, run, "workflow_dispatch", payload, sha=sha, ref="refs/heads/main"
        ).run()
        return run


def load_workflow(text: str) -> dict:
    data = yaml.safe_load(text)
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    if isinstance(data["on"], (str, list)):
        data["on"] = {
            t: None for t in ([data["on"]] if isinstance(data["on"], str) else data["on"])
        }
    return data


# --- the runner ---------------------------------------------------------------------------


class Runner:
    def __init__(
        self, world: World, workflow: dict, run: Run, event: str, payload: dict, sha: str, ref: str
    ):
        self.world, self.workflow, self.run_, self.event, self.payload = (
            world,
            workflow,
            run,
            event,
            payload,
        )
        self.sha, self.ref = sha, ref
        self.needs: dict[str, dict] = {}

    def log(self, text: str):
        self.run_.logs.append(f"[{time.monotonic() - T0:7.1f}s] {text}")

    def run(self):
        jobs = self.workflow["jobs"]
        order, seen = [], set()

        def visit(job_id):
            if job_id in seen:
                return
            seen.add(job_id)
            for need in _as_list(jobs[job_id].get("needs")):
                visit(need)
            order.append(job_id)

        for job_id in jobs:
            visit(job_id)
        for job_id in order:
            self.needs[job_id] = self.run_job(job_id, jobs[job_id])
        results = [n["result"] for n in self.needs.values()]
        self.run_.conclusion = "failure" if "failure" in results else "success"

    def contexts(self, job_id: str, job: dict, extra: dict | None = None) -> dict:
        token = f"ghs_rehearsal_{self.run_.id}_{job_id}"
        return {
            "github": {
                "event": self.payload,
                "event_name": self.event,
                "sha": self.sha,
                "ref": self.ref,
                "repository": World.REPO,
                "server_url": SERVER_URL,
                "token": token,
                "run_id": str(self.run_.id),
                "workflow": self.workflow["name"],
                "job": job_id,
                "actor": "rehearsal",
                "head_ref": "",
                "base_ref": "",
            },
            "needs": {n: self.needs[n] for n in _as_list(job.get("needs"))},
            "env": dict(self.workflow.get("env") or {}),
            "vars": {},
            "secrets": {"GITHUB_TOKEN": token},
            "inputs": self.payload.get("inputs", {}),
            "matrix": {},
            "strategy": {},
            "steps": {},
            "runner": {"os": "Linux", "arch": "X64", "temp": "", "name": "rehearsal"},
            "job": {"status": "success"},
            **(extra or {}),
        }

    def run_job(self, job_id: str, job: dict) -> dict:
        ctx = self.contexts(job_id, job)
        needs_results = [self.needs[n]["result"] for n in _as_list(job.get("needs"))]
        # success() for a job: every job it needs succeeded; failure(): one of them failed.
        job_status = (
            "failure"
            if "failure" in needs_results
            else "skipped"
            if set(needs_results) - {"success"}
            else "success"
        )
        funcs = self._funcs(lambda: job_status, None)
        if not condition(job.get("if"), Evaluator(ctx, funcs)):
            self.log(f"job {job_id}: skipped")
            self.run_.jobs[job_id] = "skipped"
            return {"result": "skipped", "outputs": {}}
        hook = self.world.hooks.pop(job_id, None)
        if hook:
            hook()
        strategy = job.get("strategy") or {}
        legs = [{}]
        if "matrix" in strategy:
            matrix = substitute(strategy["matrix"], Evaluator(ctx, funcs))
            if isinstance(matrix, str):
                raise ExprError(f"job {job_id}: the matrix is not an object: {matrix!r}")
            if matrix.get("include") or matrix.get("exclude"):
                raise ExprError("matrix include/exclude are not supported by the rehearsal")
            keys = [k for k in matrix if k not in ("include", "exclude")]
            for k in keys:
                if not isinstance(matrix[k], list) or not matrix[k]:
                    raise StepError(
                        f"job {job_id}: matrix vector {k!r} must be a non-empty list, got {matrix[k]!r}"
                    )
            legs = [
                dict(zip(keys, combo, strict=True))
                for combo in itertools.product(*(matrix[k] for k in keys))
            ]
            if len(legs) > 256:
                raise StepError(f"job {job_id}: a matrix may not exceed 256 jobs")
        results, outputs = [], {}
        fail_fast = strategy.get("fail-fast", True)
        for index, leg in enumerate(legs):
            if fail_fast and "failure" in results:
                results.append("cancelled")
                continue
            strat = {
                "job-index": index,
                "job-total": len(legs),
                "fail-fast": fail_fast,
                "max-parallel": len(legs),
            }
            result, outputs = self.run_leg(job_id, job, index, leg, strat)
            results.append(result)
        result = (
            "failure"
            if "failure" in results
            else "cancelled"
            if "cancelled" in results
            else "success"
        )
        self.run_.jobs[job_id] = result
        return {"result": result, "outputs": outputs}

    def _funcs(self, status, workspace: Path | None) -> dict:
        def hash_(*patterns):
            if workspace is None:
                raise ExprError("hashFiles() is only available in steps")
            return hash_files(workspace, *patterns)

        def fmt(text, *args):
            return (
                re.sub(
                    r"\{(\d+)\}",
                    lambda m: to_str(args[int(m.group(1))]),
                    text.replace("{{", "\0").replace("}}", "\1"),
                )
                .replace("\0", "{")
                .replace("\1", "}")
            )

        return {
            "success": lambda: status() == "success",
            "failure": lambda: status() == "failure",
            "cancelled": lambda: False,
            "always": lambda: True,
            "fromJSON": lambda s: json.loads(s),
            "toJSON": lambda v: json.dumps(v, indent=2),
            "hashFiles": hash_,
            "format": fmt,
            "contains": lambda a, b: (
                any(_eq(x, b) for x in a)
                if isinstance(a, list)
                else to_str(b).casefold() in to_str(a).casefold()
            ),
            "startsWith": lambda a, b: to_str(a).casefold().startswith(to_str(b).casefold()),
            "endsWith": lambda a, b: to_str(a).casefold().endswith(to_str(b).casefold()),
            "join": lambda a, sep=",": (
                sep.join(map(to_str, a)) if isinstance(a, list) else to_str(a)
            ),
        }

    def run_leg(
        self, job_id: str, job: dict, index: int, leg: dict, strat: dict
    ) -> tuple[str, dict]:
        name = f"{job_id}-{index}" if strat["job-total"] > 1 or leg else job_id
        base = self.world.root / "runners" / f"run{self.run_.id}-{name}"
        workspace = base / "work" / World.REPO.split("/")[1]
        temp, home, files = base / "temp", base / "home", base / "files"
        for d in (workspace, temp, home, files):
            d.mkdir(parents=True)
        event_path = files / "event.json"
        event_path.write_text(json.dumps(self.payload))
        ctx = self.contexts(job_id, job, {"matrix": leg, "strategy": strat})
        ctx["runner"]["temp"] = str(temp)
        token = ctx["github"]["token"]
        api = self.world.load_api()
        api["tokens"][token] = job.get("permissions", self.workflow.get("permissions", {}))
        self.world.save_api()
        job_state = {"status": "success", "venv": None, "path": []}
        ctx["job"]["status"] = "success"
        funcs = self._funcs(lambda: job_state["status"], workspace)
        evaluate = Evaluator(ctx, funcs)
        title = to_str(substitute(job.get("name", job_id), evaluate))
        self.log(f"== job {name}: {title}")
        github_env: dict[str, str] = {}
        summary = []
        step_env_base = dict(self.world.base_env)
        step_env_base.update(
            {
                "HOME": str(home),
                "RUNNER_TEMP": str(temp),
                "RUNNER_OS": "Linux",
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                "GITHUB_WORKSPACE": str(workspace),
                "GITHUB_EVENT_PATH": str(event_path),
                "GITHUB_EVENT_NAME": self.event,
                "GITHUB_SHA": self.sha,
                "GITHUB_REF": self.ref,
                "GITHUB_REPOSITORY": World.REPO,
                "GITHUB_SERVER_URL": SERVER_URL,
                "GITHUB_RUN_ID": str(self.run_.id),
                "GITHUB_JOB": job_id,
                "GITHUB_API_URL": "https://api.github.com",
                "REHEARSAL_API": str(self.world.api_file),
            }
        )
        timeout = 60 * float(job.get("timeout-minutes", 360))
        for number, step in enumerate(job.get("steps", [])):
            step_name = step.get("name") or step.get("uses") or step.get("run", "").splitlines()[0]
            if not condition(step.get("if"), evaluate):
                self.log(f"-- step {step_name}: skipped (if)")
                if step.get("id"):
                    ctx["steps"][step["id"]] = {
                        "outputs": {},
                        "outcome": "skipped",
                        "conclusion": "skipped",
                    }
                continue
            env = dict(step_env_base)
            env.update(
                {
                    k: to_str(v)
                    for k, v in substitute(
                        {**(self.workflow.get("env") or {}), **(job.get("env") or {})}, evaluate
                    ).items()
                }
            )
            env.update(github_env)
            env.update(
                {k: to_str(v) for k, v in substitute(step.get("env") or {}, evaluate).items()}
            )
            ctx["env"] = {k: v for k, v in env.items() if k not in step_env_base or k in github_env}
            env["PATH"] = ":".join(
                [*job_state["path"], str(self.world.shims), self.world.base_env["PATH"]]
            )
            step_files = {
                k: files / f"{k.lower()}_{number}"
                for k in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")
            }
            for k, p in step_files.items():
                p.write_text("")
                env[k] = str(p)
            outcome, outputs = "success", {}
            try:
                if "uses" in step:
                    with_ = {
                        k: substitute(v, evaluate) for k, v in (step.get("with") or {}).items()
                    }
                    action = step["uses"].split("@")[0]
                    if action not in ACTIONS:
                        raise StepError(
                            f"no stand-in for the action {step['uses']!r}: add one to tests/rehearsal.py"
                        )
                    self.log(f"-- step {step_name}: {action} (stand-in) with {with_}")
                    outputs = (
                        ACTIONS[action](
                            self,
                            with_,
                            {
                                "workspace": workspace,
                                "temp": temp,
                                "home": home,
                                "ctx": ctx,
                                "state": job_state,
                                "token": token,
                                "index": strat["job-index"],
                            },
                        )
                        or {}
                    )
                elif "run" in step:
                    outputs = self.run_script(step, env, workspace, step_files, step_name, timeout)
                else:
                    raise StepError(f"step {step_name!r} has neither run: nor uses:")
            except (StepError, ExprError, subprocess.TimeoutExpired) as err:
                self.log(f"   FAILED: {err}")
                outcome = "failure"
            github_env.update(parse_kv_file(step_files["GITHUB_ENV"]))
            job_state["path"] = [
                p for p in step_files["GITHUB_PATH"].read_text().splitlines() if p
            ] + job_state["path"]
            summary.append(step_files["GITHUB_STEP_SUMMARY"].read_text())
            conclusion = (
                "success"
                if outcome == "success" or step.get("continue-on-error") is True
                else "failure"
            )
            if step.get("id"):
                ctx["steps"][step["id"]] = {
                    "outputs": outputs,
                    "outcome": outcome,
                    "conclusion": conclusion,
                }
            if conclusion == "failure":
                job_state["status"] = "failure"
                ctx["job"]["status"] = "failure"
        self.run_.summaries[name] = "".join(summary)
        self.run_.jobs[name] = job_state["status"]
        job_outputs = {
            k: to_str(v) for k, v in substitute(job.get("outputs") or {}, evaluate).items()
        }
        if "environment" in job:
            substitute(job["environment"], evaluate)
        self.log(f"== job {name}: {job_state['status']}")
        return job_state["status"], job_outputs

    def run_script(
        self,
        step: dict,
        env: dict,
        workspace: Path,
        step_files: dict,
        step_name: str,
        timeout: float,
    ) -> dict:
        shell = step.get("shell")
        cwd = workspace / step["working-directory"] if step.get("working-directory") else workspace
        install = PIP_INSTALL.fullmatch(step["run"].strip())
        if install and INSTALL != "pip":
            return self.install_from_source(cwd / install.group(1), env, step_name)
        key = self.install_key(cwd / install.group(1)) if install else None
        if key and key in self.world.install_cache:
            return self.install_again(self.world.install_cache[key], env, step_name)
        script = step_files["GITHUB_OUTPUT"].with_name(
            step_files["GITHUB_OUTPUT"].name.replace("github_output", "script") + ".sh"
        )
        script.write_text(step["run"])
        if shell is None:
            cmd = ["bash", "-e", str(script)]
        elif shell == "bash":
            cmd = ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]
        else:
            raise StepError(f"shell {shell!r} is not supported by the rehearsal")
        self.log(f"-- step {step_name}: run")
        out = subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
        text = (out.stdout + out.stderr).rstrip()
        if text:
            self.log("\n".join("   | " + line for line in text.splitlines()))
        if out.returncode:
            raise StepError(f"exit code {out.returncode}")
        if key:
            self.world.install_cache[key] = self.snapshot_install(env, key)
        return parse_kv_file(step_files["GITHUB_OUTPUT"])

    # A real `pip install DIR` takes seconds a job; the same scorer tree is installed for real
    # once per rehearsal, and later jobs get a copy of what that install put in its venv.
    @staticmethod
    def install_key(source: Path) -> str | None:
        out = subprocess.run(
            [
                "git",
                "-C",
                str(source),
                "rev-parse",
                "HEAD:scorer",
                "HEAD:pyproject.toml",
                "HEAD:README.md",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        clean = subprocess.run(
            ["git", "-C", str(source), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=False,
        )
        return (
            " ".join(out.stdout.split())
            if out.returncode == 0 and not clean.stdout.strip()
            else None
        )

    def _venv(self, env: dict) -> tuple[Path, Path]:
        venv = Path(shutil.which("python", path=env["PATH"])).parent.parent
        return venv, next((venv / "lib").glob("python*/site-packages"))

    def snapshot_install(self, env: dict, key: str) -> Path:
        venv, site = self._venv(env)
        dest = self.world.root / "installs" / hashlib.sha256(key.encode()).hexdigest()[:12]
        for item in site.iterdir():
            if item.name == "scorer" or (
                item.name.startswith("tinymlperf-") and item.name.endswith(".dist-info")
            ):
                shutil.copytree(item, dest / "site" / item.name)
        (dest / "bin").mkdir(parents=True)
        shutil.copy2(venv / "bin" / "tinymlperf", dest / "bin" / "tinymlperf")
        return dest

    def install_again(self, snapshot: Path, env: dict, step_name: str) -> dict:
        venv, site = self._venv(env)
        for item in (snapshot / "site").iterdir():
            shutil.copytree(item, site / item.name)
        script = (snapshot / "bin" / "tinymlperf").read_text().split("\n", 1)[1]
        (venv / "bin" / "tinymlperf").write_text(f"#!{venv}/bin/python\n{script}")
        (venv / "bin" / "tinymlperf").chmod(0o755)
        self.log(
            f"-- step {step_name}: run (stand-in: this scorer tree was pip-installed for real earlier; that install is copied)"
        )
        return {}

    def install_from_source(self, source: Path, env: dict, step_name: str) -> dict:
        """The stand-in for ``python -m pip install --quiet DIR``: the job's venv imports the
        scorer from DIR (a .pth file, as an editable install would) and gets its command."""
        python = shutil.which("python", path=env["PATH"])
        if python is None or not (source / "pyproject.toml").is_file():
            raise StepError(
                f"cannot install {source}: no python on PATH or no pyproject.toml there"
            )
        venv = Path(python).parent.parent
        site = next((venv / "lib").glob("python*/site-packages"))
        (site / "scorer-source.pth").write_text(f"{source.resolve()}\n")
        script = venv / "bin" / "tinymlperf"
        script.write_text(
            f"#!{venv}/bin/python\nimport sys\nfrom scorer.cli.main import main\nsys.exit(main())\n"
        )
        script.chmod(0o755)
        self.log(
            f"-- step {step_name}: run (stand-in: the scorer imported from {source.name}/, see INSTALL)"
        )
        return {}


# How the workflows' `python -m pip install --quiet DIR` steps run. "pip" (the default): as
# written, a real non-editable install, once per distinct scorer tree (later jobs with the
# same scorer/, pyproject.toml and README.md get a copy of it). "source": the stand-in above
# (the scorer imported from DIR), quicker, but blind to packaging mistakes such as resources
# left out of the wheel.
INSTALL = os.environ.get("TINYMLPERF_REHEARSAL_INSTALL", "pip")
PIP_INSTALL = re.compile(r"python -m pip install --quiet (\S+)")


def _as_list(v) -> list:
    return [] if v is None else [v] if isinstance(v, str) else list(v)


# --- the actions' stand-ins ---------------------------------------------------------------


def _need(runner: Runner, token: str, scope: str, level: str = "read"):
    perms = runner.world.load_api()["tokens"].get(token, {})
    have = (
        perms.get(scope, "none")
        if isinstance(perms, dict)
        else {"read-all": "read", "write-all": "write"}.get(perms, "none")
    )
    if have == "none" or (level == "write" and have != "write"):
        raise StepError(f"the job's token lacks {scope}: {level} (it has {perms})")


def checkout(runner: Runner, with_: dict, job: dict):
    """actions/checkout: a fresh repository fetching from the bare origin, as the action does."""
    _need(runner, job["token"], "contents")
    dest = job["workspace"] / with_.get("path", "")
    dest.mkdir(parents=True, exist_ok=True)
    ref = to_str(with_.get("ref")) or runner.ref
    sha = (
        ref
        if re.fullmatch(r"[0-9a-f]{40}", ref)
        else (runner.sha if not with_.get("ref") else None)
    )
    depth = int(with_.get("fetch-depth", 1))
    origin = runner.world.origin.as_uri()
    git(dest, "init", "-q")
    git(dest, "remote", "add", "origin", origin)
    shallow = ["--depth=1"] if depth > 0 else []
    if depth <= 0:
        git(
            dest,
            "fetch",
            "-q",
            "--prune",
            "--no-recurse-submodules",
            "origin",
            "+refs/heads/*:refs/remotes/origin/*",
            "+refs/tags/*:refs/tags/*",
        )
    if ref.startswith("refs/heads/") or (sha is None and not ref.startswith("refs/")):
        branch = ref.removeprefix("refs/heads/")
        target = sha or git(runner.world.origin, "rev-parse", f"refs/heads/{branch}").strip()
        git(dest, "fetch", "-q", *shallow, "origin", f"+{target}:refs/remotes/origin/{branch}")
        checkout_args = ["checkout", "-q", "--force", "-B", branch, f"refs/remotes/origin/{branch}"]
    elif ref.startswith("refs/pull/"):
        git(
            dest,
            "fetch",
            "-q",
            *shallow,
            "origin",
            f"+{sha}:refs/remotes/pull/{ref.split('/')[2]}/merge",
        )
        checkout_args = [
            "checkout",
            "-q",
            "--force",
            f"refs/remotes/pull/{ref.split('/')[2]}/merge",
        ]
    else:
        if depth > 0 or git(dest, "cat-file", "-t", sha, check=False).strip() != "commit":
            git(dest, "fetch", "-q", *shallow, "origin", sha)
        checkout_args = ["checkout", "-q", "--force", sha]
    if with_.get("sparse-checkout"):
        git(dest, "sparse-checkout", "set", *to_str(with_["sparse-checkout"]).split())
    git(dest, *checkout_args)
    if with_.get("persist-credentials", True) is not False:
        git(
            dest,
            "config",
            "--local",
            "http.https://github.com/.extraheader",
            f"AUTHORIZATION: basic {job['token']}",
        )
    return {"commit": git(dest, "rev-parse", "HEAD").strip(), "ref": ref}


def setup_python(runner: Runner, with_: dict, job: dict):
    """actions/setup-python: a fresh virtual environment of this interpreter on PATH.

    The runner's tool cache is stood in for by the test's venv: its site-packages (the
    scorer's dependencies and pip) are visible through a .pth file, but not its console
    scripts, nor the scorer itself; a dependency's command (mkdocs) gets a wrapper.
    """
    want = to_str(with_.get("python-version"))
    have = f"{sys.version_info.major}.{sys.version_info.minor}"
    if want != have:
        raise StepError(f"python-version {want!r}: the rehearsal has {have}")
    venv = job["home"] / "hostedtoolcache" / "python"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python*/site-packages"))
    (site / "toolcache.pth").write_text(runner.world.venv_site + "\n")
    for dist in importlib.metadata.distributions():
        if (dist.metadata["Name"] or "").lower() == "tinymlperf":
            continue
        for ep in dist.entry_points.select(group="console_scripts"):
            if ep.name in ("pip", "pip3") or (venv / "bin" / ep.name).exists():
                continue
            module, _, attr = ep.value.partition(":")
            call = attr.strip() or "main"
            (venv / "bin" / ep.name).write_text(
                f"#!{venv}/bin/python\nimport sys\nfrom {module} import {call.split('.')[0]}\n"
                f"sys.exit({call}())\n"
            )
            (venv / "bin" / ep.name).chmod(0o755)
    job["state"]["path"].insert(0, str(venv / "bin"))
    return {"python-version": have, "python-path": str(venv / "bin" / "python")}


def cache(runner: Runner, with_: dict, job: dict):
    """actions/cache(/restore): a miss; the datasets come from $TINYMLPERF_DATA on this runner."""
    if not with_.get("key") or not with_.get("path"):
        raise StepError("actions/cache needs a key and a path")
    if with_["key"].endswith("-"):
        raise StepError(f"cache key {with_['key']!r}: hashFiles() matched no file")
    return {"cache-hit": "false"}


def upload_artifact(runner: Runner, with_: dict, job: dict):
    name = to_str(with_.get("name")) or "artifact"
    if name in runner.run_.artifacts:
        raise StepError(f"an artifact named {name!r} already exists in this run")
    src = (job["workspace"] / to_str(with_["path"])).resolve()
    files = (
        [p for p in src.rglob("*") if p.is_file()]
        if src.is_dir()
        else [src]
        if src.is_file()
        else []
    )
    if not files:
        if with_.get("if-no-files-found", "warn") == "error":
            raise StepError(f"no files were found with the provided path: {with_['path']}")
        return {}
    dest = runner.world.root / "artifacts" / str(runner.run_.id) / name
    if src.is_dir():
        shutil.copytree(src, dest, symlinks=False)
    else:
        dest.mkdir(parents=True)
        shutil.copy2(src, dest / src.name)
    runner.run_.artifacts[name] = dest
    return {"artifact-id": str(len(runner.run_.artifacts))}


def download_artifact(runner: Runner, with_: dict, job: dict):
    run = runner.run_
    if with_.get("run-id"):
        if not with_.get("github-token"):
            raise StepError("download-artifact: run-id needs github-token")
        _need(runner, to_str(with_["github-token"]), "actions")
        run = next((r for r in runner.world.runs if str(r.id) == to_str(with_["run-id"])), None)
        if run is None:
            raise StepError(f"no run {with_['run-id']}")
    dest = job["workspace"] / to_str(with_.get("path", "."))
    if with_.get("name"):
        if with_["name"] not in run.artifacts:
            raise StepError(f"Artifact not found for name: {with_['name']}")
        shutil.copytree(run.artifacts[with_["name"]], dest, dirs_exist_ok=True)
        return {"download-path": str(dest)}
    pattern = to_str(with_.get("pattern", "*"))
    for name, folder in sorted(run.artifacts.items()):
        if fnmatch.fnmatchcase(name, pattern):
            target = dest if with_.get("merge-multiple") else dest / name
            shutil.copytree(folder, target, dirs_exist_ok=True)
    return {"download-path": str(dest)}


def upload_pages_artifact(runner: Runner, with_: dict, job: dict):
    src = job["workspace"] / to_str(with_.get("path", "_site/"))
    if not (src / "index.html").is_file():
        raise StepError(f"{with_.get('path')}: no index.html to publish")
    out = job["temp"] / "pages"
    out.mkdir()
    with tarfile.open(out / "artifact.tar", "w") as tar:
        tar.add(src, arcname=".")
    return upload_artifact(
        runner,
        {"name": with_.get("name", "github-pages"), "path": str(out), "if-no-files-found": "error"},
        job,
    )


def deploy_pages(runner: Runner, with_: dict, job: dict):
    _need(runner, job["token"], "pages", "write")
    _need(runner, job["token"], "id-token", "write")
    folder = runner.run_.artifacts.get(with_.get("artifact_name", "github-pages"))
    if folder is None:
        raise StepError("deploy-pages: no github-pages artifact in this run")
    site = runner.world.root / "pages" / str(runner.run_.id)
    site.mkdir(parents=True)
    with tarfile.open(folder / "artifact.tar") as tar:
        tar.extractall(site, filter="data")
    return {"page_url": "https://tinymlperf.github.io/leaderboard/"}


ACTIONS = {
    "actions/checkout": checkout,
    "actions/setup-python": setup_python,
    "actions/cache": cache,
    "actions/cache/restore": cache,
    "actions/upload-artifact": upload_artifact,
    "actions/download-artifact": download_artifact,
    "actions/upload-pages-artifact": upload_pages_artifact,
    "actions/deploy-pages": deploy_pages,
}


# --- shims on the runner's PATH -------------------------------------------------------------

GH = r'''#!@PYTHON@
"""gh api stand-in: GitHub's REST API for one repository, from $REHEARSAL_API (a JSON file)."""
import json, os, re, subprocess, sys

args = sys.argv[1:]
if not args or args[0] != "api":
    sys.exit(f"gh stand-in: only `gh api` is supported, not {args}")
args = args[1:]
method, jq, body, paginate, path = "GET", None, None, False, None
while args:
    a = args.pop(0)
    if a in ("--method", "-X"):
        method = args.pop(0)
    elif a in ("--jq", "-q"):
        jq = args.pop(0)
    elif a == "--input":
        body = json.load(open(args.pop(0)))
    elif a == "--paginate":
        paginate = True
    elif a.startswith("-"):
        sys.exit(f"gh stand-in: unsupported option {a}")
    else:
        path = a
token = os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN")
if not token:
    sys.exit("gh: To use GitHub CLI in a GitHub Actions workflow, set the GH_TOKEN environment variable.")
state_file = os.environ["REHEARSAL_API"]
state = json.load(open(state_file))
perms = state["tokens"].get(token)
if perms is None:
    sys.exit("gh: HTTP 401: Bad credentials")
def need(scope, level):
    have = perms.get(scope, "none")
    if have == "none" or (level == "write" and have != "write"):
        sys.exit(f"gh: HTTP 403: Resource not accessible by integration ({scope}: {level})")
repo = state["repo"]
m = lambda pat: re.fullmatch(f"repos/{re.escape(repo)}/" + pat, path)
if method == "GET" and (g := m(r"pulls/(\d+)")):
    need("pull-requests", "read")
    pr = state["pulls"].get(g.group(1)) or sys.exit("gh: Not Found (HTTP 404)")
    out = {k: v for k, v in pr.items() if k != "files"}
elif method == "GET" and (g := m(r"pulls/(\d+)/files")):
    need("pull-requests", "read")
    pr = state["pulls"].get(g.group(1)) or sys.exit("gh: Not Found (HTTP 404)")
    out = pr["files"]
elif method == "GET" and (g := m(r"issues/(\d+)/comments")):
    need("pull-requests", "read")
    out = [c for c in state["comments"] if c["issue"] == int(g.group(1))]
elif method == "POST" and (g := m(r"issues/(\d+)/comments")):
    need("pull-requests", "write")
    out = {"id": len(state["comments"]) + 1, "issue": int(g.group(1)), "user": {"login": "github-actions[bot]"}, "body": body["body"]}
    state["comments"].append(out)
elif method == "PATCH" and (g := m(r"issues/comments/(\d+)")):
    need("pull-requests", "write")
    out = next(c for c in state["comments"] if c["id"] == int(g.group(1)))
    out["body"] = body["body"]
else:
    sys.exit(f"gh stand-in: {method} {path} is not part of the stand-in API")
json.dump(state, open(state_file, "w"), indent=1)
text = json.dumps(out)
if jq is not None:
    text = subprocess.run(["jq", "-r", jq], input=text, capture_output=True, text=True, check=True).stdout
    sys.stdout.write(text)
else:
    print(text)
'''

SUDO = r"""#!/bin/sh
# sudo stand-in: the runner's package and kernel settings are already what the step asks
# (bubblewrap installed, user namespaces allowed); record the command, change nothing.
echo "sudo (stand-in): $*" >&2
case "$1" in
  apt-get) command -v bwrap >/dev/null || { echo "bubblewrap is not installed here" >&2; exit 1; } ;;
  sysctl) ;;
  *) echo "sudo stand-in: unexpected command $1" >&2; exit 1 ;;
esac
"""

SHIMS = {"gh": GH, "sudo": SUDO}
