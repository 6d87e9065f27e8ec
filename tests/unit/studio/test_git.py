"""An admin's commit from the studio holds the studio's files only, under the admin's name."""

from __future__ import annotations

import subprocess

import pytest

from bot.launcher import copy_project
from bot.studio import git
from bot.studio.training_data import TrainingData


def run(project, *args):
    return subprocess.run(["git", "-C", str(project), *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def checkout(tmp_path):
    project = tmp_path / "project"
    copy_project(project)
    (project / "knowledge_base").mkdir()
    (project / "notes.txt").write_text("work in progress\n")
    run(project, "init", "-q")
    run(project, "-c", "user.name=t", "-c", "user.email=t@example.com", "add", ".")
    run(project, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "start")
    return project


def test_commit_holds_only_the_studios_files(checkout):
    (checkout / "notes.txt").write_text("more work in progress\n")
    TrainingData(checkout).add_example("track_order", "still no sign of the blender")
    assert git.status(checkout, checkout / "knowledge_base").changed == ["data/nlu/orders.yml"]
    commit = git.commit(checkout, checkout / "knowledge_base", "Teach track_order a blender message",
                        "Ada Lovelace", "ada")
    assert run(checkout, "log", "-1", "--format=%h %an %s").strip() == (
        f"{commit} Ada Lovelace Teach track_order a blender message")
    assert run(checkout, "show", "--name-only", "--format=", "HEAD").split() == ["data/nlu/orders.yml"]
    assert "notes.txt" in run(checkout, "status", "--porcelain")
    with pytest.raises(git.GitError, match="nothing to commit"):
        git.commit(checkout, checkout / "knowledge_base", "again", "Ada Lovelace", "ada")


def test_a_project_outside_git_says_so(tmp_path):
    state = git.status(tmp_path, tmp_path / "kb")
    assert not state.available and "not a git checkout" in state.reason
