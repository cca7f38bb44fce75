"""``python -m linkkit.sandbox --host 127.0.0.1 --port 8765``: run the sandbox until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import logging
import sys

from .server import SandboxServer
from .world import DEFAULT_SEED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m linkkit.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="demo world seed")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr
    )
    server = SandboxServer(host=args.host, port=args.port, seed=args.seed)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
