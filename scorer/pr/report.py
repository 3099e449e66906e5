"""The pull-request check's Markdown report, rendered from its pr-summary.json.

The comment workflow renders a summary that came back from the pull request's own run, so
every submitted string goes through ``md`` (inert Markdown and HTML) and only schema-checked
numbers, enums and hex ids go in raw. ``render_unvouched`` is the comment for a pull request
whose own file list contradicts the check (see scorer.pr.scope.vouch).
"""

from __future__ import annotations

from scorer.contract.events import EVENTS
from scorer.pr.scope import Finding
from scorer.text import github_md

MARK = {"pass": "✅", "fail": "❌"}


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    text = f"{value:.4g}"
    return (
        f"{text} {github_md(unit)}"
        if unit and unit not in ("fraction", "perplexity", "score")
        else text
    )


def render(summary: dict) -> str:
    """The Markdown report from a summary: numbers formatted here, every string through github_md().

    The comment workflow renders a summary that came back from a pull request's run, so
    nothing in it is trusted: only its schema-checked numbers, enums and hex ids go in raw.
    """
    verdict = summary["verdict"]
    lines = [
        f"## {MARK[verdict]} TinyMLPerf check: {'passed' if verdict == 'pass' else 'failed'}",
        "",
    ]
    pr = f"pull request #{summary['pr_number']} · " if summary["pr_number"] else ""
    lines += [
        f"{pr}base `{summary['base']['sha'][:10]}` · head `{summary['head']['sha'][:10]}` · "
        f"scorer {github_md(summary['scorer_version'])} · {summary['changed_files_count']} changed file(s)",
        "",
    ]
    if summary["problems"]:
        lines += ["### Problems with this pull request", ""]
        lines += [
            f"- **{github_md(p['where'])}**: {github_md(p['message'])}" for p in summary["problems"]
        ]
        lines.append("")
    for e in summary["entries"]:
        event = EVENTS.get(e["event"])
        lines += [
            f"### {github_md(e['team'])} · {github_md(event.name if event else e['event'])}",
            "",
        ]
        if e["qualified"]:
            lines.append(f"**{MARK['pass']} Qualifies.** Would rank: {github_md(e['rank'])}.")
        else:
            lines.append(f"**{MARK['fail']} {github_md(e['status'])}**: {github_md(e['reason'])}")
        lines.append("")
        claims = {c["metric"]: c for c in e["claimed"]}
        leader = e["leader"]
        metrics = [
            m
            for m in (
                e["metrics"]["quality"],
                e["metrics"]["speed"],
                e["metrics"]["memory"],
                *e["metrics"]["extra"],
            )
            if m
        ]
        if metrics:
            lines += [
                "| Metric | Measured | Range | Threshold | Claimed | Claimed vs measured |",
                "|---|---|---|---|---|---|",
            ]
            for m in metrics:
                unit = m["unit"]
                threshold = "–"
                if m.get("threshold") is not None:
                    threshold = f"{'≥' if m['direction'] == 'higher' else '≤'} {m['threshold']:g}"
                c = claims.get(m["key"])
                claimed = _num(c["claimed"], unit) if c else "–"
                rel = f"{c['relative']:+.1%}" if c and c["relative"] is not None else "–"
                lines.append(
                    f"| {github_md(m['label'])} | **{_num(m['median'], unit)}** | {_num(m['min'])} – {_num(m['max'])} | {threshold} | {claimed} | {rel} |"
                )
            lines.append("")
        if e["baseline"] and e["baseline"]["speedup"] is not None:
            ratio = f"{e['baseline']['speedup']:.2f}x the baseline's speed"
            if e["baseline"]["memory_ratio"] is not None:
                ratio += f", {e['baseline']['memory_ratio']:.2f}x its memory"
            lines += [f"Versus the baseline: {ratio}.", ""]
        if leader:
            lines += [
                f"Current leader: **{github_md(leader['team'])}** at {_num(leader['speed'], leader['unit'])}"
                + (
                    f" ({leader['speedup']:.2f}x the baseline)."
                    if leader["speedup"] is not None
                    else "."
                ),
                "",
            ]
        elif e["metrics"]["speed"]:
            lines += [
                "No qualified entry in this event yet: a qualifying entry takes first place.",
                "",
            ]
        if e["problems"]:
            lines += ["Problems:", ""]
            for p in e["problems"]:
                tag = "warning: " if p["severity"] == "warning" else ""
                lines.append(f"- **{github_md(p['where'])}**: {tag}{github_md(p['message'])}")
            lines.append("")
    lines += ["### What happens next", ""]
    if verdict == "pass":
        lines.append(
            "A maintainer reviews the code and merges. After the merge, CI scores the entry officially "
            "(more repeats, interleaved with the baseline) and the leaderboard updates."
        )
    else:
        lines.append(
            "Fix the problems above, run `tinymlperf run` (or `tinymlperf ci pr --base main`) locally, "
            "then commit and push: this check runs again and this comment updates."
        )
    return "\n".join(lines) + "\n"


def render_unvouched(data: dict, files: list[str], problems: list[Finding]) -> str:
    """The comment when the pull request's own file list contradicts the check: no verdict of the run's."""
    pr = f"pull request #{data['pr_number']} · " if data["pr_number"] else ""
    lines = [
        f"## {MARK['fail']} TinyMLPerf check: failed (the check's report is not evidence)",
        "",
        "> [!WARNING]",
        "> What this pull request changes, as GitHub lists it, is outside what the check can vouch for, "
        "so the check run's own verdict and numbers are not shown. Maintainers, review it by hand.",
        "",
        f"{pr}head `{data['head']['sha'][:10]}` · {len(files)} changed file(s) according to GitHub",
        "",
        "### Problems with this pull request",
        "",
    ]
    lines += [f"- **{github_md(p.where)}**: {github_md(p.message)}" for p in problems[:200]]
    lines += [
        "",
        "### What happens next",
        "",
        "A submission pull request changes only submissions/<team-id>/<event-id>/: move every other change "
        "to a separate pull request, then push; the check runs again and this comment updates.",
    ]
    return "\n".join(lines) + "\n"
