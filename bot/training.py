"""Train the Rasa model only when its inputs changed, reusing models cached by fingerprint.

The fingerprint covers everything `rasa train` reads (config, domain, data/) and the
pinned Rasa environment, so a cached model is reused across clones and CI runs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "harbor.tar.gz"
KEEP_CACHED = 5


RASA_DATA_KEYS = {"nlu", "stories", "rules", "responses"}


def is_rasa_training_file(path: Path) -> bool:
    """Rasa trains on YAML files with these top-level keys and ignores others in data/."""
    try:
        content = yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        return True  # let `rasa train` report the error
    return isinstance(content, dict) and bool(RASA_DATA_KEYS & content.keys())


# The code of the custom NLU components decides what a trained model holds, too.
NLU_CODE = ["components/*.py", "bot/nlu/*.py", "bot/encoder.py"]


def training_inputs(root: Path = ROOT) -> list[Path]:
    """The project's files (config, domain, data/), the custom components' code and the Rasa
    environment's pins; a project without code of its own (a copy the studio's tests edit)
    is trained with this checkout's."""
    code = root if (root / "components").is_dir() else ROOT
    files = [root / "config.yml", root / "domain.yml", code / "requirements" / "rasa-lock.txt",
             code / "requirements" / "rasa-encoder.txt"]
    files += sorted(p for pattern in NLU_CODE for p in code.glob(pattern))
    files += sorted(p for p in (root / "data").rglob("*")
                    if p.suffix in (".yml", ".yaml") and is_rasa_training_file(p))
    return files


def fingerprint(root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for path in training_inputs(root):
        base = root if path.is_relative_to(root) else ROOT
        digest.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "harbor-assistant" / "models"
    return Path(os.environ.get("ASSISTANT_MODEL_CACHE", default))


def ensure_model(root: Path = ROOT) -> Path:
    """Return the trained model, training it first if config, domain or data changed."""
    model = root / "models" / MODEL.name
    stamp = model.with_suffix("").with_suffix(".fingerprint")
    current = fingerprint(root)
    if model.exists() and stamp.exists() and stamp.read_text().strip() == current:
        print(f"Model is up to date ({current}).", flush=True)
        return model
    cached = cache_dir() / f"{current}.tar.gz"
    model.parent.mkdir(parents=True, exist_ok=True)
    if cached.exists():
        print(f"Training data unchanged since a cached model ({current}); reusing it.", flush=True)
        shutil.copyfile(cached, model)
    else:
        print(f"Training the Rasa model ({current}); this takes about a minute ...", flush=True)
        started = time.perf_counter()
        subprocess.run(
            [str(root / ".venv-rasa" / "bin" / "rasa"), "train", "--fixed-model-name", "harbor",
             "--out", str(model.parent), "--quiet"],
            cwd=root, check=True, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false",
                                       "TF_CPP_MIN_LOG_LEVEL": "2"})
        print(f"Trained in {time.perf_counter() - started:.0f} s.", flush=True)
        remember(model, current)
    stamp.write_text(current)
    return model


def remember(model: Path, current: str) -> None:
    """Keep a trained model in the cache under its fingerprint (the studio trains too)."""
    cached = cache_dir() / f"{current}.tar.gz"
    cached.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model, cached)
    _prune(cached.parent)


def install(model: Path, root: Path, current: str) -> Path:
    """Make `model` the project's model (what `make run` serves next time), atomically."""
    target = root / "models" / MODEL.name
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(model, tmp)
    tmp.replace(target)
    target.with_suffix("").with_suffix(".fingerprint").write_text(current)
    return target


def _prune(folder: Path) -> None:
    models = sorted(folder.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in models[KEEP_CACHED:]:
        old.unlink()
