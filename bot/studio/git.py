"""Commit what editors changed (training data, domain, articles) to git from the studio.

Optional: only when the project is a git checkout. Only the studio's own files are staged,
so work in progress elsewhere in the checkout is never swept into an editor's commit.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path


class GitError(RuntimeError):
    pass


@dataclass(frozen=True)
class GitStatus:
    available: bool
    changed: list[str] = field(default_factory=list)
    reason: str = ""


def _git(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(project), *args], capture_output=True, text=True, timeout=60)


def _paths(project: Path, articles: Path) -> list[str]:
    paths = ["data", "domain.yml"]
    articles = articles.resolve()
    if articles.is_relative_to(project.resolve()):
        paths.append(str(articles.relative_to(project.resolve())))
    return paths


def status(project: Path, articles: Path) -> GitStatus:
    try:
        inside = _git(project, "rev-parse", "--is-inside-work-tree")
    except (OSError, subprocess.TimeoutExpired) as error:
        return GitStatus(False, reason=f"git is not available: {error}")
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return GitStatus(False, reason="the project is not a git checkout")
    porcelain = _git(project, "status", "--porcelain", "--", *_paths(project, articles))
    return GitStatus(True, [line[3:] for line in porcelain.stdout.splitlines() if line.strip()])


def commit(project: Path, articles: Path, message: str, author: str, username: str) -> str:
    """Stage and commit the studio's files; the commit's short hash."""
    state = status(project, articles)
    if not state.available:
        raise GitError(state.reason)
    if not state.changed:
        raise GitError("nothing to commit: the training data and articles match the last commit")
    paths = [p for p in _paths(project, articles) if (project / p).exists()]
    added = _git(project, "add", "-A", "--", *paths)
    if added.returncode != 0:
        raise GitError(added.stderr.strip() or "git add failed")
    identity = f"{author} <{username}@studio.invalid>"
    done = _git(project, "-c", f"user.name={author}", "-c", f"user.email={username}@studio.invalid",
                "commit", "--author", identity, "-m", message, "--", *state.changed)
    if done.returncode != 0:
        raise GitError(done.stderr.strip() or done.stdout.strip() or "git commit failed")
    return _git(project, "rev-parse", "--short", "HEAD").stdout.strip()
