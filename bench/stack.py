"""The real stack for a benchmark: started in a temporary folder, stopped afterwards."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.launcher import Stack
from bot.training import ensure_model


@contextmanager
def running_stack(timeout_s: float = 240.0) -> Iterator[Stack]:
    with tempfile.TemporaryDirectory() as workdir:
        stack = Stack.isolated(ensure_model(), Path(workdir))
        print("Starting the stack ...", flush=True)
        stack.start()
        try:
            stack.wait_healthy(timeout_s=timeout_s)
            yield stack
        finally:
            stack.stop()
