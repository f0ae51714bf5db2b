"""Run the demo target: `python -m opsgate.demo --port 8642 --https-port 8643 [--broken]`.

Serves HTTP and HTTPS (certificate from a throwaway CA whose PEM goes to `--ca-bundle`) until
SIGTERM or SIGINT. Once both listen and the CA file is written it prints exactly one line,
`opsgate demo ready http=URL https=URL`, on stdout. If it cannot listen it prints
`demo target cannot listen on HOST:PORT: REASON` on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import signal
import ssl
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from opsgate.demo.app import (
    REPLICA_MODES,
    DemoConfig,
    DemoError,
    DemoServer,
    DemoState,
    listen,
    load_route_modules,
)
from opsgate.demo.dns import start_demo_dns

DEFAULT_CA_BUNDLE = Path("reports/demo-ca.pem")


def parse_args(argv: Sequence[str] | None = None) -> tuple[DemoConfig, bool]:
    """The config the command line asks for, and whether to exit when stdin closes."""
    parser = argparse.ArgumentParser(
        prog="python -m opsgate.demo", description="Run the opsgate demo target."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8642, help="HTTP port, 0 = any free one")
    parser.add_argument("--https-port", type=int, default=8643, help="HTTPS port, 0 = any free one")
    parser.add_argument(
        "--ca-bundle",
        type=Path,
        default=DEFAULT_CA_BUNDLE,
        help="where to write the PEM of the CA that signs the HTTPS certificate",
    )
    parser.add_argument("--broken", action="store_true", help="answer like a misconfigured system")
    parser.add_argument("--mode", choices=REPLICA_MODES,
                        help="also answer as this seed system's replica at / (all stay under /replicas/)")
    # For DemoProcess: the parent holds our stdin open, so EOF means it is gone.
    parser.add_argument("--exit-on-stdin-eof", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    config = DemoConfig(args.host, args.port, args.https_port, args.ca_bundle, args.broken, args.mode)
    return config, args.exit_on_stdin_eof


def make_tls_context(ca_bundle: Path) -> ssl.SSLContext:
    """A server TLS context for 127.0.0.1/localhost/::1 from a fresh CA, its PEM at `ca_bundle`."""
    import trustme

    ca = trustme.CA(organization_name="opsgate demo")
    cert = ca.issue_cert("127.0.0.1", "localhost", "::1")
    ca_bundle.parent.mkdir(parents=True, exist_ok=True)
    ca.cert_pem.write_to_path(str(ca_bundle))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    return context


def url(scheme: str, server: DemoServer) -> str:
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    return f"{scheme}://{shown}:{port}"


def serve(config: DemoConfig, exit_on_stdin_eof: bool = False) -> None:
    """Listen on both ports, announce readiness, and serve until a signal (or stdin EOF)."""
    assert config.ca_bundle is not None
    load_route_modules()
    state = DemoState(config)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    tls = make_tls_context(config.ca_bundle)
    servers = [listen(config.host, config.port, state)]
    running: list[DemoServer] = []
    dns_responder = None
    try:
        servers.append(listen(config.host, config.https_port, state, tls))
        dns_responder = start_demo_dns(config.host, servers[0].server_address[1], config.broken)
        for server in servers:
            threading.Thread(
                target=_serve, args=(server,), name="demo-listener", daemon=True
            ).start()
            running.append(server)
        if exit_on_stdin_eof:
            threading.Thread(target=_wait_for_eof, args=(stop,), daemon=True).start()
        http_url, https_url = url("http", servers[0]), url("https", servers[1])
        print(f"opsgate demo ready http={http_url} https={https_url}", flush=True)
        stop.wait()
    finally:
        # Wake /hang and /slow first so their threads end with the process, not after it.
        state.stopping.set()
        for server in running:
            server.shutdown()
        for server in servers:
            server.server_close()
        if dns_responder is not None:
            dns_responder.close()


def _serve(server: DemoServer) -> None:
    # A short poll interval keeps shutdown() (and so DemoProcess.stop()) quick.
    server.serve_forever(poll_interval=0.05)


def _wait_for_eof(stop: threading.Event) -> None:
    while sys.stdin.buffer.read(4096):
        pass
    stop.set()


def main(argv: Sequence[str] | None = None) -> int:
    config, exit_on_stdin_eof = parse_args(argv)
    try:
        serve(config, exit_on_stdin_eof)
    except DemoError as exc:
        print(exc, file=sys.stderr, flush=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
