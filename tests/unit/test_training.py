"""The model is retrained exactly when something `rasa train` reads has changed."""

import shutil

from bot.launcher import ROOT
from bot.training import fingerprint


def copy_project(tmp_path):
    for name in ["config.yml", "domain.yml"]:
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copytree(ROOT / "requirements", tmp_path / "requirements")
    shutil.copytree(ROOT / "components", tmp_path / "components")
    (tmp_path / "bot").mkdir()
    shutil.copytree(ROOT / "bot" / "nlu", tmp_path / "bot" / "nlu")
    shutil.copy(ROOT / "bot" / "encoder.py", tmp_path / "bot" / "encoder.py")
    return tmp_path


def test_fingerprint_is_stable_and_tracks_training_data(tmp_path):
    project = copy_project(tmp_path)
    before = fingerprint(project)
    assert fingerprint(project) == before
    (project / "README.md").write_text("docs do not matter")
    assert fingerprint(project) == before
    nlu = next((project / "data" / "nlu").glob("*.yml"))
    nlu.write_text(nlu.read_text() + "\n")
    assert fingerprint(project) != before


def test_fingerprint_tracks_the_pipeline(tmp_path):
    project = copy_project(tmp_path)
    before = fingerprint(project)
    (project / "config.yml").write_text((project / "config.yml").read_text().replace("threshold: 0.3", "threshold: 0.4"))
    assert fingerprint(project) != before


def test_fingerprint_tracks_the_custom_nlu_components(tmp_path):
    project = copy_project(tmp_path)
    before = fingerprint(project)
    head = project / "bot" / "nlu" / "head.py"
    head.write_text(head.read_text().replace("C: float = 10.0", "C: float = 5.0"))
    assert fingerprint(project) != before


def test_other_yaml_in_data_does_not_trigger_training(tmp_path):
    project = copy_project(tmp_path)
    before = fingerprint(project)
    (project / "data" / "kb_eval.yml").write_text("version: 1\nquestions: []\n")
    assert fingerprint(project) == before
