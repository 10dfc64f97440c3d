"""The deployment package has the layout the Functions host expects for a custom handler:

- host.json at the root, version 2.0, customHandler.description.defaultExecutablePath naming
  a file in the package (`handler`), with the executable bit set, an x86-64 Linux ELF binary
  needing no glibc newer than the Flex image's (2.36);
- one folder per function, named like the function, each holding only a valid function.json,
  exactly the functions of handlers/ (the single source of function definitions);
- nothing else; the zip holds the same tree with the executable bit recorded.

The fixture test packages fixtures/ with /bin/true as the "handler"; the repository test checks
dist/package built by scripts/package.sh (run.sh builds it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES
from contract import FUNCTION_NAME, HANDLERS_DIR
from iac import REPO_ROOT

PACKAGE_SH = REPO_ROOT / "scripts" / "package.sh"
DIST = Path(os.environ.get("OFFBOARD_DIST_DIR", REPO_ROOT / "dist"))
MAX_GLIBC = (2, 36)


def elf_problems(path: Path) -> list[str]:
    data = path.read_bytes()
    problems = []
    if data[:4] != b"\x7fELF":
        return [f"{path.name} is not an ELF binary"]
    if data[4] != 2 or int.from_bytes(data[18:20], "little") != 0x3E:
        problems.append(f"{path.name} is not a 64-bit x86-64 binary")
    versions = {tuple(int(x) for x in m.groups()) for m in re.finditer(rb"GLIBC_(\d+)\.(\d+)", data)}
    if versions and max(versions) > MAX_GLIBC:
        problems.append(f"{path.name} needs glibc {max(versions)}, newer than the Functions image's {MAX_GLIBC}")
    return problems


def layout_problems(pkg: Path, handlers: Path) -> list[str]:
    problems = []
    host = pkg / "host.json"
    if not host.is_file():
        return ["host.json missing at the package root"]
    doc = json.loads(host.read_text())
    if doc.get("version") != "2.0":
        problems.append("host.json: version must be 2.0")
    exe = ((doc.get("customHandler") or {}).get("description") or {}).get("defaultExecutablePath")
    if exe != "handler":
        problems.append(f"host.json: customHandler.description.defaultExecutablePath is {exe!r}, expected 'handler'")
    binary = pkg / "handler"
    if not binary.is_file():
        problems.append("handler binary missing at the package root")
    else:
        if not os.stat(binary).st_mode & stat.S_IXUSR:
            problems.append("handler is not executable")
        problems += elf_problems(binary)

    expected = {d.name for d in handlers.iterdir() if d.is_dir() and (d / "function.json").is_file()}
    found = set()
    for entry in sorted(pkg.iterdir()):
        if entry.name in ("host.json", "handler"):
            continue
        if not entry.is_dir():
            problems.append(f"stray file in the package root: {entry.name}")
            continue
        found.add(entry.name)
        if not FUNCTION_NAME.match(entry.name):
            problems.append(f"{entry.name}: not a valid function name")
        contents = sorted(p.name for p in entry.iterdir())
        if contents != ["function.json"]:
            problems.append(f"{entry.name}/ must hold only function.json, holds {contents}")
            continue
        try:
            fdoc = json.loads((entry / "function.json").read_text())
        except json.JSONDecodeError as e:
            problems.append(f"{entry.name}/function.json: invalid JSON: {e}")
            continue
        if not isinstance(fdoc.get("bindings"), list) or not fdoc["bindings"]:
            problems.append(f"{entry.name}/function.json: no bindings")
        src = handlers / entry.name / "function.json"
        if src.is_file() and src.read_bytes() != (entry / "function.json").read_bytes():
            problems.append(f"{entry.name}/function.json differs from handlers/{entry.name}/function.json")
    for missing in sorted(expected - found):
        problems.append(f"function {missing} (handlers/) is not in the package")
    for extra in sorted(found - expected):
        problems.append(f"function {extra} is in the package but not in handlers/")
    return problems


def zip_problems(zpath: Path, pkg: Path) -> list[str]:
    problems = []
    with zipfile.ZipFile(zpath) as z:
        names = {i.filename for i in z.infolist() if not i.is_dir()}
        tree = {str(p.relative_to(pkg)) for p in pkg.rglob("*") if p.is_file()}
        if names != tree:
            problems.append(f"zip and package differ: only in zip {sorted(names - tree)}, only in package {sorted(tree - names)}")
        info = z.getinfo("handler") if "handler" in names else None
        if info is None or not (info.external_attr >> 16) & stat.S_IXUSR:
            problems.append("zip: handler entry has no executable bit")
    return problems


def run_package(out: Path, handlers: Path, host_json: Path, binary: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(PACKAGE_SH), "--out", str(out), "--handlers", str(handlers), "--host-json", str(host_json), "--binary", str(binary)],
        capture_output=True, text=True, timeout=300,
    )


@pytest.fixture
def stub_binary() -> Path:
    true = Path(shutil.which("true") or "/bin/true")
    assert true.is_file()
    return true


def test_package_script_lays_out_the_fixture_as_the_host_expects(tmp_path, stub_binary):
    proc = run_package(tmp_path, FIXTURES / "handlers", FIXTURES / "host.json", stub_binary)
    assert proc.returncode == 0, proc.stderr
    pkg = tmp_path / "package"
    assert layout_problems(pkg, FIXTURES / "handlers") == []
    assert zip_problems(tmp_path / "offboard-functions.zip", pkg) == []
    assert sorted(p.name for p in pkg.iterdir()) == sorted(["host.json", "handler", "hris", "scim", "offboardings", "cases", "plan", "scheduler"])


def test_layout_check_rejects_a_broken_package(tmp_path, stub_binary):
    proc = run_package(tmp_path, FIXTURES / "handlers", FIXTURES / "host.json", stub_binary)
    assert proc.returncode == 0, proc.stderr
    pkg = tmp_path / "package"
    (pkg / "local.settings.json").write_text("{}")
    shutil.rmtree(pkg / "plan")
    os.chmod(pkg / "handler", 0o644)
    host = json.loads((pkg / "host.json").read_text())
    host["customHandler"]["description"]["defaultExecutablePath"] = "offboard-handler"
    (pkg / "host.json").write_text(json.dumps(host))
    text = "\n".join(layout_problems(pkg, FIXTURES / "handlers"))
    for expected in ("stray file in the package root: local.settings.json", "function plan", "not executable", "defaultExecutablePath"):
        assert expected in text


def test_package_script_refuses_a_function_without_function_json(tmp_path, stub_binary):
    handlers = tmp_path / "handlers"
    shutil.copytree(FIXTURES / "handlers", handlers)
    (handlers / "empty").mkdir()
    proc = run_package(tmp_path / "out", handlers, FIXTURES / "host.json", stub_binary)
    assert proc.returncode != 0 and "no function.json" in proc.stderr


def test_repository_package_layout():
    pkg = DIST / "package"
    if not pkg.is_dir():
        pytest.skip(f"{pkg} does not exist: build it with scripts/package.sh (infra/checks/run.sh does unless OFFBOARD_SKIP_PACKAGE=1)")
    assert layout_problems(pkg, HANDLERS_DIR) == []
    assert (pkg / "host.json").read_bytes() == (REPO_ROOT / "host.json").read_bytes()
    assert zip_problems(DIST / "offboard-functions.zip", pkg) == []
