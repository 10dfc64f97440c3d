"""Shared fixtures: the two template sets, loaded once per run."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import summary  # noqa: E402
from iac import load_bicep, load_terraform  # noqa: E402
from variants import VARIANTS  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def bicep():
    return load_bicep()


@pytest.fixture(scope="session")
def terraform():
    return load_terraform()


@pytest.fixture(scope="session")
def bicep_summary():
    """The public variant (the default) of the Bicep set."""
    return summary_of("bicep", "public")


@pytest.fixture(scope="session")
def terraform_summary():
    """The public variant (the default) of the Terraform set."""
    return summary_of("terraform", "public")


@functools.cache
def summary_of(kind: str, variant: str, switches: frozenset[str] = frozenset()) -> dict:
    """`kind`'s summary in `variant`, with the feature switches in `switches` (Terraform
    variable names, e.g. ``enable_account_deletion``) on and every other one at its default."""
    if kind == "bicep":
        return summary.bicep_summary(variant, switches)
    return summary.terraform_summary(variant, switches)


@pytest.fixture(
    scope="session",
    params=[(k, v) for k in ("bicep", "terraform") for v in VARIANTS],
    ids=[f"{k}-{v}" for k in ("bicep", "terraform") for v in VARIANTS],
)
def infra(request):
    """Each template set's summary in each variant (public, and network-hardened: variants.py),
    so every contract test runs against all four; `s["variant"]` says which variant it is."""
    kind, variant = request.param
    return kind, summary_of(kind, variant)


@pytest.fixture(scope="session", params=["bicep", "terraform"])
def private_infra(request):
    """Each template set's network-hardened variant."""
    return request.param, summary_of(request.param, "private")


def app_settings_values(kind: str) -> dict[str, str]:
    """App settings with their literal values where they are literals (for binding resolution
    and for the identity-connection check, which only needs to know a value is present)."""
    if kind == "bicep":
        b = load_bicep()
        return {k: (b.value(v) if isinstance(b.value(v), str) else "<expr>") for k, v in b.variables["appSettings"]["value"].items()}
    t = load_terraform()
    out = {}
    for k, v in t.locals["app_settings"].items():
        val = t.value(v)
        out[k] = val if isinstance(val, str) and "${" not in val else "<expr>"
    return out
