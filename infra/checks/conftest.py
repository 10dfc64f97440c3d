"""Shared fixtures: the two template sets, loaded once per run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import summary  # noqa: E402
from iac import load_bicep, load_terraform  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def bicep():
    return load_bicep()


@pytest.fixture(scope="session")
def terraform():
    return load_terraform()


@pytest.fixture(scope="session")
def bicep_summary():
    return summary.bicep_summary()


@pytest.fixture(scope="session")
def terraform_summary():
    return summary.terraform_summary()


@pytest.fixture(scope="session", params=["bicep", "terraform"])
def infra(request, bicep_summary, terraform_summary):
    """Each template set's summary in turn, so every contract test runs against both."""
    return request.param, (bicep_summary if request.param == "bicep" else terraform_summary)


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
