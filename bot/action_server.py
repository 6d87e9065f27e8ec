"""Runs the Rasa action server (rasa_sdk) on loopback, in one process or several.

rasa-sdk's own CLI binds every interface and starts Sanic's worker manager, which spawns
a worker that imports the actions a second time; the knowledge base (model, index, file
watcher) must live once in each process that serves the actions. So each process here
serves in itself. With `--workers N` (the production profile) this process starts N of
them on the same port (SO_REUSEPORT: the kernel spreads connections), passes on SIGTERM,
and exits when one of them does, so whoever supervises it restarts the set.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import subprocess
import sys


def serve(actions: str, host: str, port: int, reuse_port: bool) -> None:
    from rasa_sdk.endpoint import create_app
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package(actions)
    app = create_app(executor, cors_origins=[])
    if not reuse_port:
        app.run(host=host, port=port, single_process=True, access_log=False, motd=False)
        return
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    app.run(sock=sock, single_process=True, access_log=False, motd=False)


def run_workers(argv: list[str], workers: int) -> int:
    children = [subprocess.Popen([sys.executable, "-m", "bot.action_server", *argv, "--reuse-port"])
                for _ in range(workers)]

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while all(child.poll() is None for child in children):
        try:
            children[0].wait(1)
        except subprocess.TimeoutExpired:
            pass
    stop()
    codes = [child.wait() for child in children]
    return next((code for code in codes if code), 0)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", default="actions")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.workers > 1:
        return run_workers(["--actions", args.actions, "--host", args.host, "--port", str(args.port)],
                           args.workers)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    serve(args.actions, args.host, args.port, args.reuse_port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
