"""Runs the Rasa action server (rasa_sdk) in one process on loopback.

rasa-sdk's own CLI binds every interface and starts Sanic's worker manager, which spawns
a worker that imports the actions a second time; the knowledge base (model, index, file
watcher) must live once, in the process that serves the actions.
"""

from __future__ import annotations

import argparse
import logging

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", default="actions")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    executor = ActionExecutor()
    executor.register_package(args.actions)
    app = create_app(executor, cors_origins=[])
    app.run(host=args.host, port=args.port, single_process=True, access_log=False, motd=False)


if __name__ == "__main__":
    main()
