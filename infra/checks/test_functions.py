"""Every function in handlers/ has its queues (+ `-poison`) and identity-based connection
settings in both template sets; so does every queue the code sends to.

The real check reads the repository's handlers/; the same logic is also run against
fixtures/handlers (and a broken copy of it) so the checker is tested while handlers/ is empty.
"""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import FIXTURES, app_settings_values
from contract import (
    HANDLERS_DIR,
    code_queue_constants,
    identity_connection_problems,
    load_functions,
    required_queues,
)


def infra_problems(fs, kind, infra_summary, code_queues):
    settings = app_settings_values(kind)
    problems = list(fs.errors)
    queues = set(infra_summary["queues"])
    for q, why in sorted(required_queues(fs, settings, code_queues).items()):
        if q not in queues:
            problems.append(f"{kind}: queue {q!r} ({why}) is not created")
    for f in fs.functions:
        for _, prefix in f.queues(settings):
            problems += [f"{kind}: {f.name}: {p}" for p in identity_connection_problems(prefix, settings, "queue")]
    # The host itself (keys, leases, timer locks) always needs identity-based blob storage.
    problems += [f"{kind}: host: {p}" for p in identity_connection_problems("AzureWebJobsStorage", settings, "blob")]
    return problems


def test_fixture_functions_are_fully_backed_by_infra(infra):
    kind, s = infra
    fs = load_functions(FIXTURES / "handlers")
    assert {f.name for f in fs.functions} == {"hris", "scim", "offboardings", "cases", "plan", "scheduler"}
    assert infra_problems(fs, kind, s, {"plan"}) == []


def test_checker_reports_a_missing_queue_and_a_key_based_connection(tmp_path, infra):
    kind, s = infra
    root = tmp_path / "handlers"
    shutil.copytree(FIXTURES / "handlers", root)
    (root / "revoke").mkdir()
    (root / "revoke" / "function.json").write_text(json.dumps({"bindings": [
        {"type": "queueTrigger", "direction": "in", "name": "m", "queueName": "step-revoke", "connection": "OtherStorage"}]}))
    (root / "stray.txt").write_text("x")
    problems = infra_problems(load_functions(root), kind, s, {"plan"})
    text = "\n".join(problems)
    assert "queue 'step-revoke'" in text and "queue 'step-revoke-poison'" in text
    assert "OtherStorage__credential" in text
    assert "stray.txt" in text


def test_repository_functions_are_fully_backed_by_infra(infra):
    kind, s = infra
    fs = load_functions(HANDLERS_DIR)
    if not fs.functions and not fs.errors:
        pytest.skip("handlers/ has no function.json yet: only the fixture-based checks ran (fixtures/handlers)")
    problems = infra_problems(fs, kind, s, set(code_queue_constants()))
    assert not problems, "\n".join(problems)


def test_queues_the_code_sends_to_exist(infra):
    kind, s = infra
    consts = code_queue_constants()
    if not consts:
        pytest.skip("no `const *_QUEUE: &str` in crates/ yet")
    print(f"\nqueue constants in the code: {consts}")
    missing = [f"{q} ({where})" for q, where in consts.items() if q not in s["queues"] or f"{q}-poison" not in s["queues"]]
    assert not missing, f"{kind}: queues the code sends to, missing in infra (with -poison): {missing}"
