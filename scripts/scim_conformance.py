#!/usr/bin/env python3
"""Run scim2-tester's conformance checks against offboard's SCIM endpoint.

    python3 -m venv .venv-scim
    .venv-scim/bin/pip install -r scripts/requirements-scim.txt
    OFFBOARD_SCIM_URL=http://127.0.0.1:7071/api/scim/v2 \\
    OFFBOARD_SCIM_TOKEN=... .venv-scim/bin/python scripts/scim_conformance.py

The base URL and the bearer token come from the environment (OFFBOARD_SCIM_URL,
OFFBOARD_SCIM_TOKEN) or from --url / --token. Prefer the environment for the token: a
command-line argument is visible to every local user in the process list. The token is
never printed.

Every check result is printed. The exit status is 0 when no check ended in ERROR or
CRITICAL (outside the allow-list below), 1 when one did, 2 when the script was called
wrongly.

The checks run against a live instance and write to it: they create, change and delete
users, and deactivating a user opens a termination case. Point this at a local or test
instance, never at production.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Allowed:
    """A check result that may be ERROR because the check cannot apply to offboard."""

    title: str
    """The check's title (its function name in scim2_tester.checkers)."""
    reason_contains: str
    """A fragment of the result's reason that identifies exactly this case."""
    why: str
    """Why the check cannot apply. Every entry must also be listed in the README."""


# Checks that cannot apply to offboard, each with its reason. Keep this empty unless truly
# necessary: every entry is a hole in the conformance claim.
ALLOWED_ERRORS: list[Allowed] = []

FAILING = {"ERROR", "CRITICAL"}


def _install_date_time_values() -> None:
    """Give scim2-tester RFC 7643 dateTime values, and userNames offboard can identify.

    scim2-tester 0.5.2 fills every attribute it has no specific generator for with a UUID
    string (scim2_tester.filling.generate_random_value), including attributes of type
    dateTime. A UUID is not an xsd:dateTime (RFC 7643 §2.3.5), so the tester's own
    client-side model refuses it before any request is sent, and every check that fills a
    whole User (PUT, PATCH add/replace/remove, attribute projection, search) would fail
    without ever reaching the server. offboard's schema has one dateTime attribute
    (urn:ietf:params:scim:schemas:extension:offboard:2.0:User:terminationDateTime).

    This wraps the generator so that a single-valued dateTime attribute gets a random
    timezone-aware instant, and so that userName has the form name@domain. offboard acts on
    a deactivation only for a user it can identify in Entra ID (employeeNumber, a userName
    of the form name@domain, or a primary or work email) and otherwise refuses it with
    400 invalidValue saying what to map, because an accepted termination it cannot
    attribute would be lost (README, "SCIM 2.0"). Entra ID and Okta provisioning send the
    UPN or login there; the tester's bare UUID made the PATCH-active checks pass or fail
    with whichever random emails it happened to generate. Everything else, and every check
    and its verdict, is the tester's own. It applies the same mutability and required filters as the original,
    so read-only dateTimes (meta.created, meta.lastModified) are still left alone.
    """
    from scim2_models import Mutability, Required

    import scim2_tester.filling as filling
    from scim2_tester.checkers import patch_add, patch_replace

    original = filling.generate_random_value

    def generate(context: Any, path: Any, mutability: Any = None, required: Any = None) -> Any:
        binding = path.resolve()
        if binding is not None and binding.target_field_name == "user_name":
            if mutability is not None and binding.get_annotation(Mutability) not in mutability:
                return None
            if required is not None and binding.get_annotation(Required) not in required:
                return None
            return f"{uuid.uuid4()}@{uuid.uuid4()}.test"
        if (
            binding is not None
            and binding.target_type is datetime.datetime
            and not binding.target_is_multivalued
        ):
            if mutability is not None and binding.get_annotation(Mutability) not in mutability:
                return None
            if required is not None and binding.get_annotation(Required) not in required:
                return None
            start = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
            return start + datetime.timedelta(seconds=random.randint(0, 10 * 365 * 86400))
        return original(context, path, mutability=mutability, required=required)

    filling.generate_random_value = generate
    patch_add.generate_random_value = generate
    patch_replace.generate_random_value = generate


def _allowed(result: Any) -> Allowed | None:
    for entry in ALLOWED_ERRORS:
        if result.title == entry.title and entry.reason_contains in (result.reason or ""):
            return entry
    return None


def _redact(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run scim2-tester against offboard's SCIM endpoint.",
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("OFFBOARD_SCIM_URL"),
        help="SCIM base URL, e.g. http://127.0.0.1:7071/api/scim/v2 (default: $OFFBOARD_SCIM_URL)",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("OFFBOARD_SCIM_TOKEN"),
        help="bearer token (default: $OFFBOARD_SCIM_TOKEN; prefer the environment)",
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="per-request timeout in seconds"
    )
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("no SCIM base URL: set OFFBOARD_SCIM_URL or pass --url")
    if not args.token:
        parser.error("no SCIM token: set OFFBOARD_SCIM_TOKEN (or pass --token)")

    try:
        from httpx2 import Client
        from scim2_client.engines.httpx2 import SyncSCIMClient
        from scim2_tester import check_server
    except ImportError as exc:
        print(
            f"scim2-tester is not installed ({exc}); run "
            "`pip install -r scripts/requirements-scim.txt` in a virtual environment",
            file=sys.stderr,
        )
        return 2

    _install_date_time_values()

    http = Client(
        base_url=args.url.rstrip("/"),
        headers={"Authorization": f"Bearer {args.token}"},
        timeout=args.timeout,
    )
    with http:
        results = check_server(SyncSCIMClient(http))

    counts: Counter[str] = Counter()
    failures = 0
    for r in results:
        status = r.status.name
        allowed = _allowed(r) if status in FAILING else None
        if allowed is not None:
            status = f"{status} (allowed)"
        elif status in FAILING:
            failures += 1
        counts[status] += 1
        scope = f" [{r.resource_type}]" if r.resource_type else ""
        reason = _redact((r.reason or "").strip(), args.token)
        print(f"{status:<10} {r.title}{scope}: {reason}")
        if allowed is not None:
            print(f"           allowed because: {allowed.why}")

    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    print(f"\n{len(results)} results: {summary}")
    if not results:
        print("scim2-tester returned no results: is the URL right?", file=sys.stderr)
        return 1
    if failures:
        print(f"{failures} check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
