"""checkov (PyPI) scans both template sets, in both variants (public, and network-hardened as
rendered by variants.py): no failed check, no parsing error, and every skip is justified by a
comment next to the resource (`checkov:skip=CKV_...:reason`). The skips the public variant needs
for its public endpoints are marked "Public variant only", and the network-hardened variant passes
every one of those checks without them."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from iac import BICEP_DIR, TF_DIR
from variants import public_only_skips, render_bicep, write_variant

CHECKOV = os.environ.get("OFFBOARD_CHECKOV", str(Path.home() / ".cache/offboard/venv-infra-checkov/bin/checkov"))
SKIP_COMMENT = re.compile(r"(?://|#)checkov:skip=([A-Z0-9_]+):(.*)$")


def run_checkov(directory: Path, framework: str) -> dict:
    if not Path(CHECKOV).exists():
        pytest.fail(f"checkov not found at {CHECKOV}: run infra/checks/run.sh (it installs checkov in its own venv)")
    # --skip-download: no call to the vendor's API (offline CI); the built-in checks are used.
    proc = subprocess.run(
        [CHECKOV, "-d", str(directory), "--framework", framework, "-o", "json", "--skip-download"],
        capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    doc = json.loads(proc.stdout)
    docs = doc if isinstance(doc, list) else [doc]
    (report,) = [d for d in docs if d.get("check_type") == framework]
    return report


def skip_comments(directory: Path, suffix: str) -> list[tuple[str, str, str]]:
    out = []
    for f in sorted(directory.rglob(f"*{suffix}")):
        for line in f.read_text().splitlines():
            m = SKIP_COMMENT.search(line.strip())
            if m:
                out.append((f.name, m.group(1), m.group(2).strip()))
    return out


CASES = [(BICEP_DIR, "bicep", ".bicep", 15), (TF_DIR, "terraform", ".tf", 15)]


def check_report(report: dict, framework: str, directory: Path, suffix: str, min_resources: int) -> dict:
    """No failed check, no parsing error, every skip justified and used; returns the results."""
    summary = report["summary"]
    results = report["results"]
    print(f"\ncheckov {framework} ({directory}): {summary}")
    for c in results.get("skipped_checks", []):
        print(f"  skipped {c['check_id']} on {c['resource']}: {c.get('check_result', {}).get('suppress_comment', '')}")
    assert summary["parsing_errors"] == 0, f"checkov could not parse {framework} files"
    assert summary["resource_count"] >= min_resources, f"checkov saw only {summary['resource_count']} resources"
    assert summary["passed"] > 0
    failed = [f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}" for c in results.get("failed_checks", [])]
    assert not failed, "checkov failed checks:\n" + "\n".join(failed)
    for c in results.get("skipped_checks", []):
        reason = c.get("check_result", {}).get("suppress_comment", "")
        assert len(reason) >= 20, f"skip of {c['check_id']} on {c['resource']} has no real justification: {reason!r}"
    # Every skip comment in the files is one checkov used: no stale or mistyped suppression.
    used = {c["check_id"] for c in results.get("skipped_checks", [])}
    comments = skip_comments(directory, suffix)
    assert comments, "expected justified skips to be visible in the files"
    stale = [f"{f}: {cid}" for f, cid, _ in comments if cid not in used]
    assert not stale, "skip comments for checks that did not apply (remove them):\n" + "\n".join(stale)
    assert len(comments) == summary["skipped"], "each skip comment must suppress exactly one finding"
    return results


@pytest.mark.parametrize("directory,framework,suffix,min_resources", CASES, ids=["bicep", "terraform"])
def test_checkov_passes_with_only_justified_skips(directory, framework, suffix, min_resources):
    """The public variant (the default) as written."""
    check_report(run_checkov(directory, framework), framework, directory, suffix, min_resources)
    assert public_only_skips(directory, suffix), "the public variant's network skips are marked 'Public variant only'"


@pytest.mark.parametrize("directory,framework,suffix,min_resources", CASES, ids=["bicep", "terraform"])
def test_network_hardened_variant_passes_the_checks_the_public_one_skips(directory, framework, suffix, min_resources, tmp_path):
    """The private variant, rendered as a deployment with the switch on sees it (variants.py),
    without the public variant's network skips: each of those checks now passes on its own."""
    rendered = write_variant(directory, tmp_path / framework, framework, "private")
    results = check_report(run_checkov(rendered, framework), framework, rendered, suffix, min_resources)
    assert not public_only_skips(rendered, suffix)
    passed = {(c["check_id"], c["resource"]) for c in results.get("passed_checks", [])}
    expected = {(cid, resource) for _, cid, resource in public_only_skips(directory, suffix)}
    missing = sorted(expected - passed)
    assert not missing, f"checks the public variant skips that the network-hardened variant does not pass: {missing}"
    print(f"  network-hardened variant passes {len(expected)} checks the public variant skips: {sorted(expected)}")


def test_rendering_a_variant_refuses_what_it_cannot_evaluate():
    assert render_bicep("var a = privateNetworking ? 'Disabled' : 'Enabled'\n", True) == "var a = 'Disabled'\n"
    assert render_bicep("x: privateNetworking ? network!.outputs.id : null\n", False) == "x: null\n"
    assert render_bicep("x: privateNetworking ? network!.outputs.id : null\n", True) == "x: network!.outputs.id\n"
    with pytest.raises(ValueError):
        render_bicep("x: privateNetworking ? concat(a, b) : ''\n", True)


def test_writing_a_variant_needs_the_switch(tmp_path):
    """A template set without the switch is refused, not scanned as if it were the variant."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "main.bicep").write_text("param other bool = false\n")
    with pytest.raises(ValueError, match="switch"):
        write_variant(src, tmp_path / "out", "bicep", "private")
    public = write_variant(BICEP_DIR, tmp_path / "public", "bicep", "public")
    assert (public / "main.bicep").read_text().count("Public variant only") == (BICEP_DIR / "main.bicep").read_text().count("Public variant only")
