"""Fuzz a live gunicorn with schemathesis: anonymous, as a doctor and as an admin, bounded in time.

A private PostgreSQL (deleted afterwards) is migrated and seeded with the demo data; gunicorn
serves it on 127.0.0.1; schemathesis reads the schema from /graphql (introspection is on in
development) and sends generated queries and mutations, valid and invalid. The typed_or_coded
check (tests/fuzz/checks.py) fails any 5xx and any error without an expected code.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from db import embedded
from manage import DEMO_PASSWORD
from tests import database as testdb
from tests.drills.support import ARTIFACTS, ROOT, Server, start_gunicorn, wait_for
from tests.operations import operation

ADMIN_EMAIL = "fuzz.admin@example.org"
DOCTOR_EMAIL = "asha.rao@demo.medimyth.test"
# Whoever calls: each pass reaches other resolvers (anonymous ones stop at UNAUTHENTICATED).
PASSES = ("anonymous", "doctor", "admin")


def _manage(url: str, *args: str) -> None:
    env = {key: value for key, value in os.environ.items() if key != "DB_POOL_MODE"}
    env["DATABASE_URL"] = url
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def sign_in(origin: str, email: str, password: str) -> str:
    """An access token from the Login operation, as the frontend gets one."""
    body = {
        "query": operation("Login"),
        "operationName": "Login",
        "variables": {"email": email, "password": password},
    }
    answer = httpx.post(f"{origin}/graphql", json=body, timeout=30).json()
    token: str = answer["data"]["login"]["accessToken"]
    return token


def _schemathesis(
    origin: str, label: str, token: str | None, *, max_examples: int, seed: int, seconds: float
) -> int:
    """One schemathesis run; killed (and failed) if it outlives its time."""
    report = ARTIFACTS / "fuzz"
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{origin}/graphql",
        "--checks",
        "typed_or_coded",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--workers",
        "2",
        "--request-timeout",
        "30",
        "--no-shrink",
        "--report",
        "junit",
        "--report-dir",
        str(report),
        "--report-junit-path",
        str(report / f"{label}.xml"),
    ]
    if token is not None:
        command += ["--header", f"Authorization: Bearer {token}"]
    env = dict(os.environ, SCHEMATHESIS_HOOKS="tests.fuzz.checks", NO_COLOR="1")
    print(f"== fuzz as {label}: {max_examples} examples per operation, seed {seed}", flush=True)
    try:
        return subprocess.run(command, cwd=ROOT, env=env, timeout=seconds, check=False).returncode
    except subprocess.TimeoutExpired:
        print(f"schemathesis ran past {seconds:.0f} s as {label}", file=sys.stderr)
        return 1


def unexpected_errors(server: Server) -> list[str]:
    """Bugs the app logged (schema/platform/errors.py log_unexpected) while answering the fuzzer."""
    return [line for line in server.log().splitlines() if re.search(r"unexpected error", line)]


@contextmanager
def seeded_server(name: str = "fuzz-server") -> Iterator[tuple[Server, str]]:
    """gunicorn (2 workers, 127.0.0.1) over a private PostgreSQL migrated and seeded with the
    demo data and an admin (ADMIN_EMAIL); the server and its database URL. Both go afterwards."""
    data_dir = Path(tempfile.mkdtemp(prefix="medimyth-fuzz-")) / "postgres"
    url, cluster = embedded.start_server(data_dir, database="fuzz", cleanup="delete")
    server: Server | None = None
    try:
        testdb.alembic(url, "upgrade", "head")
        _manage(url, "seed")
        _manage(url, "create-admin", "--email", ADMIN_EMAIL, "--password", DEMO_PASSWORD)
        server = start_gunicorn(name, url, workers=2, log_prefix="")
        asyncio.run(wait_for(server, "/readyz", 200))
        yield server, url
    finally:
        if server is not None:
            server.stop()
        cluster.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # About two minutes on a 2-core machine for the three passes (8,400 cases in all).
    parser.add_argument("--max-examples", type=int, default=100, help="per operation and pass")
    parser.add_argument("--seed", type=int, default=20261124, help="for a reproducible run")
    # A hard limit well above that, so a slow machine passes and a hung run still ends.
    parser.add_argument("--seconds", type=float, default=540, help="hard limit for all passes")
    parser.add_argument("--passes", default=",".join(PASSES), help="anonymous,doctor,admin")
    args = parser.parse_args(argv)

    started = time.monotonic()
    with seeded_server() as (server, _url):
        tokens = {
            "anonymous": None,
            "doctor": sign_in(server.origin, DOCTOR_EMAIL, DEMO_PASSWORD),
            "admin": sign_in(server.origin, ADMIN_EMAIL, DEMO_PASSWORD),
        }
        codes = {}
        for label in args.passes.split(","):
            left = args.seconds - (time.monotonic() - started)
            codes[label] = _schemathesis(
                server.origin,
                label,
                tokens[label],
                max_examples=args.max_examples,
                seed=args.seed,
                seconds=max(left, 1),
            )
        bugs = unexpected_errors(server)
    for line in bugs:
        print(f"server log: {line}", file=sys.stderr)
    failed = [label for label, code in codes.items() if code != 0]
    print(
        f"fuzz: passes {codes}, {len(bugs)} unexpected errors in the server log,"
        f" {time.monotonic() - started:.0f} s"
    )
    return 1 if failed or bugs else 0


if __name__ == "__main__":
    sys.exit(main())
