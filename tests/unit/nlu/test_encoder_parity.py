"""Rasa's sentence featurizer (in the Rasa env) and the desk's encoder give the same vectors."""

import json
import subprocess

import numpy as np

from bot.encoder import Encoder
from bot.launcher import ROOT

TEXTS = ["where is my parcel??", "I'm waiting for a compensation of $299", "wanna cancel order 10482"]

IN_RASA_ENV = """
import json, sys
from rasa.engine.graph import ExecutionContext
from rasa.shared.nlu.training_data.message import Message
from components.sentence_featurizer import SentenceEncoderFeaturizer
featurizer = SentenceEncoderFeaturizer.create(
    SentenceEncoderFeaturizer.get_default_config(), None, None, ExecutionContext(None, "featurizer"))
messages = featurizer.process([Message(data={"text": t}) for t in json.loads(sys.argv[1])])
print(json.dumps([m.get_dense_features("text")[1].features.reshape(-1).tolist() for m in messages]))
"""


def test_the_rasa_component_and_the_desk_produce_identical_vectors():
    done = subprocess.run([str(ROOT / ".venv-rasa" / "bin" / "python"), "-c", IN_RASA_ENV, json.dumps(TEXTS)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "RASA_TELEMETRY_ENABLED": "false"})
    assert done.returncode == 0, done.stderr[-2000:]
    from_rasa = np.array(json.loads(done.stdout.strip().splitlines()[-1]))
    encoder = Encoder(threads=1)
    from_desk = np.vstack([encoder.encode([text]) for text in TEXTS])
    assert from_rasa.shape == (3, 384)
    assert np.abs(from_rasa - from_desk).max() < 1e-6
