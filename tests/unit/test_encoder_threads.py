"""The shared encoder called from several threads at once (the desk's sentiment, summary and
suggestions do that) gives each caller the vectors it would get alone."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from bot.encoder import Encoder

TEXTS = ["hi", "where is my order", "my parcel arrived damaged and nobody answers my e-mails, this is the third time",
         "refund?", "I want to talk to a person right now", "can I pay with paypal",
         "the blender I ordered last week still has not shipped and the tracking page says nothing at all",
         "thx", "do you ship to canada", "cancel it"]
BATCH = ["hi", "where is my order please", "refund?", "cancel it"]  # padded to one length


def test_concurrent_callers_get_the_same_vectors_as_one_caller():
    encoder = Encoder(threads=2)
    alone = {text: encoder.encode([text])[0] for text in TEXTS}
    batch_alone = encoder.encode(BATCH)

    def work(i: int) -> tuple[str, np.ndarray, np.ndarray]:
        text = TEXTS[i % len(TEXTS)]
        return text, encoder.encode([text])[0], encoder.encode(BATCH)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(300)))
    for text, vector, batch in results:
        np.testing.assert_allclose(vector, alone[text], atol=1e-5)
        np.testing.assert_allclose(batch, batch_alone, atol=1e-5)
