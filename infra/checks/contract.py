"""What the code needs from the infrastructure, read from the code at check time.

Nothing here is a copy of the code's lists: functions come from ``handlers/*/function.json``,
settings from ``crates/service/src/settings/names.rs``, queues the code sends to from ``*_QUEUE``
string constants in the crates, and the permission set from the code's own declaration
(``cargo run -q -p offboard-graph --example permissions``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from iac import REPO_ROOT, keyvault_secret_name

HANDLERS_DIR = REPO_ROOT / "handlers"
SETTINGS_RS = REPO_ROOT / "crates" / "service" / "src" / "settings" / "names.rs"
PERMISSIONS_EXAMPLE = REPO_ROOT / "crates" / "graph" / "examples" / "permissions.rs"
CRATES_DIR = REPO_ROOT / "crates"

# Function names the host accepts as folder names (and routes to as /{name}).
FUNCTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,127}$")
SETTING_NAME = re.compile(r"\bOFFBOARD_[A-Z0-9_]+\b")
QUEUE_CONST = re.compile(r'const\s+(?:[A-Z0-9_]+_)?QUEUE\s*:\s*&(?:\'static\s+)?str\s*=\s*"([a-z0-9][a-z0-9-]{1,61}[a-z0-9])"')
SECRET_SUFFIXES = ("_SECRET", "_TOKEN", "_KEY")

# Binding types the checks know how to map to infrastructure. Anything else fails loudly, so a
# new binding type is a conscious change to infra and to these checks.
QUEUE_BINDINGS = {"queueTrigger", "queue"}
NO_INFRA_BINDINGS = {"httpTrigger", "http", "timerTrigger"}


@dataclass
class Function:
    name: str
    path: Path
    bindings: list[dict]

    def queues(self, settings: dict[str, str]) -> list[tuple[str, str]]:
        """(queue name, connection prefix) of every queue binding."""
        out = []
        for b in self.bindings:
            if b.get("type") in QUEUE_BINDINGS:
                out.append((resolve_binding_expr(b.get("queueName", ""), settings), connection_prefix(b.get("connection"), settings)))
        return out


@dataclass
class FunctionSet:
    root: Path
    functions: list[Function] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def load_functions(root: Path = HANDLERS_DIR) -> FunctionSet:
    """Every `<root>/<name>/function.json`, with structural errors collected, not raised."""
    fs = FunctionSet(root)
    if not root.is_dir():
        return fs
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            fs.errors.append(f"{entry}: handlers/ holds only one folder per function")
            continue
        fj = entry / "function.json"
        if not fj.is_file():
            fs.errors.append(f"{entry}: no function.json")
            continue
        if not FUNCTION_NAME.match(entry.name):
            fs.errors.append(f"{entry}: not a valid function name")
        try:
            doc = json.loads(fj.read_text())
        except json.JSONDecodeError as e:
            fs.errors.append(f"{fj}: invalid JSON: {e}")
            continue
        bindings = doc.get("bindings")
        if not isinstance(bindings, list) or not bindings:
            fs.errors.append(f"{fj}: `bindings` must be a non-empty list")
            continue
        triggers = [b for b in bindings if str(b.get("type", "")).endswith("Trigger")]
        if len(triggers) != 1:
            fs.errors.append(f"{fj}: a function has exactly one trigger, found {len(triggers)}")
        for b in bindings:
            t = b.get("type")
            if t not in QUEUE_BINDINGS | NO_INFRA_BINDINGS:
                fs.errors.append(
                    f"{fj}: binding type {t!r} is unknown to infra/checks: add what it needs to both "
                    "template sets and teach infra/checks/contract.py about it"
                )
            if t in QUEUE_BINDINGS and not b.get("queueName"):
                fs.errors.append(f"{fj}: queue binding {b.get('name')!r} has no queueName")
        fs.functions.append(Function(entry.name, fj, bindings))
    return fs


def resolve_binding_expr(value: str, settings: dict[str, str]) -> str:
    """`%SETTING%` binding expressions resolve to the app setting's literal value."""

    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name not in settings:
            raise KeyError(f"binding expression %{name}% names no app setting in infra")
        return settings[name]

    return re.sub(r"%([A-Za-z0-9_]+)%", sub, value)


def connection_prefix(connection: str | None, settings: dict[str, str]) -> str:
    """The app-setting prefix a binding's `connection` names (Functions rules).

    Empty means `AzureWebJobsStorage`; a name whose settings are not found is also tried with
    the `AzureWebJobs` prefix, as the host does."""
    if not connection:
        return "AzureWebJobsStorage"
    if any(k == connection or k.startswith(connection + "__") for k in settings):
        return connection
    alt = "AzureWebJobs" + connection
    if any(k == alt or k.startswith(alt + "__") for k in settings):
        return alt
    return connection


def identity_connection_problems(prefix: str, settings: dict[str, str], service: str) -> list[str]:
    """Why the `prefix` connection is not an identity-based connection to `service` (queue/blob)."""
    problems = []
    if prefix in settings and settings[prefix]:
        problems.append(f"{prefix} is a connection string; use identity-based {prefix}__* settings")
    uri = settings.get(f"{prefix}__{service}ServiceUri") or settings.get(f"{prefix}__serviceUri")
    if not uri and not settings.get(f"{prefix}__accountName"):
        problems.append(f"{prefix}__{service}ServiceUri (or __accountName) is missing")
    if settings.get(f"{prefix}__credential") != "managedidentity":
        problems.append(f"{prefix}__credential must be 'managedidentity'")
    if not settings.get(f"{prefix}__clientId"):
        problems.append(f"{prefix}__clientId (the user-assigned identity's client id) is missing")
    return problems


def required_queues(fs: FunctionSet, settings: dict[str, str], code_queues: set[str]) -> dict[str, str]:
    """queue name -> why it is needed. Every one also needs `<name>-poison`."""
    need: dict[str, str] = {}
    for f in fs.functions:
        for q, _ in f.queues(settings):
            need.setdefault(q, f"handlers/{f.name}/function.json")
    for q in sorted(code_queues):
        need.setdefault(q, "a *_QUEUE constant in crates/")
    for q in list(need):
        if not q.endswith("-poison"):
            need.setdefault(f"{q}-poison", f"poison queue of {q}")
    return need


def code_queue_constants(root: Path = CRATES_DIR) -> dict[str, str]:
    """Queue names the code sends to: `const *_QUEUE: &str = "name"` in crates/*/src."""
    found: dict[str, str] = {}
    for rs in sorted(root.glob("*/src/**/*.rs")):
        for m in QUEUE_CONST.finditer(rs.read_text(errors="replace")):
            found.setdefault(m.group(1), str(rs.relative_to(REPO_ROOT)))
    return found


def settings_the_code_reads(path: Path = SETTINGS_RS) -> set[str] | None:
    """`OFFBOARD_*` names in the code's single settings list, or None if it does not exist yet."""
    if not path.is_file():
        return None
    text = path.read_text()
    # Drop comments so a name mentioned in prose is not taken for a setting.
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return set(SETTING_NAME.findall(text))


def is_secret_setting(name: str) -> bool:
    return name.endswith(SECRET_SUFFIXES)


def secret_setting_problems(settings: dict[str, str], secret_map: dict[str, str]) -> list[str]:
    """Secrets must be Key Vault references to the secret the template says it is."""
    problems = []
    for name, value in settings.items():
        kv = keyvault_secret_name(value)
        if is_secret_setting(name):
            if kv is None:
                problems.append(f"{name} is a secret but not a @Microsoft.KeyVault(SecretUri=...) reference")
            elif secret_map.get(name) != kv:
                problems.append(f"{name} references secret {kv!r}, the secret map says {secret_map.get(name)!r}")
        elif kv is not None and name not in secret_map:
            problems.append(f"{name} is a Key Vault reference but not declared in the secret map")
    for name in secret_map:
        if name not in settings:
            problems.append(f"secret map names {name}, which is no app setting")
    return problems


class PermissionsUnavailable(RuntimeError):
    pass


def code_permissions(timeout: int = 3000) -> dict[str, list[str]]:
    """The permission set the code declares, printed by its `permissions` example."""
    if not PERMISSIONS_EXAMPLE.is_file():
        raise PermissionsUnavailable(
            f"{PERMISSIONS_EXAMPLE.relative_to(REPO_ROOT)} does not exist yet: the Graph/Exchange/"
            "directory-role set must be declared once in crates/graph/src/permissions.rs and printed "
            "as JSON by `cargo run -q -p offboard-graph --example permissions` "
            '({"graph":[...],"exchange":[...],"directoryRoles":[...]}).'
        )
    env = dict(os.environ)
    cmd = ["cargo", "run", "-q", "--offline", "-p", "offboard-graph", "--example", "permissions"]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        # --offline fails when the lockfile needs a crate not yet in the local registry cache.
        cmd.remove("--offline")
        proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise PermissionsUnavailable(f"`{' '.join(cmd)}` failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return parse_permissions_json(proc.stdout)


def parse_permissions_json(text: str) -> dict:
    """`{"graph":[...],"exchange":[...],"directoryRoles":[...],"onlyWhen":{...}}`: the three
    lists every deployment grants (sorted), and under `onlyWhen` (optional) what each feature
    switch (a Terraform variable's name) adds when it is on, in the same three kinds."""
    doc = json.loads(text)
    kinds = {"graph", "exchange", "directoryRoles"}
    if not isinstance(doc, dict) or not (kinds <= set(doc) <= kinds | {"onlyWhen"}):
        raise ValueError(f'expected {{"graph":[...],"exchange":[...],"directoryRoles":[...],"onlyWhen":{{...}}}}, got keys {sorted(doc) if isinstance(doc, dict) else type(doc).__name__}')

    def names(where: str, v) -> list[str]:
        if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
            raise ValueError(f"{where}: expected a list of non-empty strings")
        if len(set(v)) != len(v):
            raise ValueError(f"{where}: duplicate entries")
        return sorted(v)

    out: dict = {k: names(k, doc[k]) for k in sorted(kinds)}
    only_when = doc.get("onlyWhen", {})
    if not isinstance(only_when, dict):
        raise ValueError("onlyWhen: expected an object of switch -> permissions")
    out["onlyWhen"] = {}
    for switch, extra in only_when.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", switch) or not isinstance(extra, dict) or not set(extra) <= kinds:
            raise ValueError(f"onlyWhen.{switch}: expected a Terraform variable name and lists of {sorted(kinds)}")
        out["onlyWhen"][switch] = {k: names(f"onlyWhen.{switch}.{k}", extra.get(k, [])) for k in sorted(kinds)}
        for k in kinds:
            both = set(out[k]) & set(out["onlyWhen"][switch][k])
            if both:
                raise ValueError(f"onlyWhen.{switch}.{k}: {sorted(both)} are granted always too")
    return out


def with_switches(declared: dict, on: set[str] | frozenset[str]) -> dict[str, list[str]]:
    """What a deployment with the feature switches in `on` must grant: the unconditional set plus
    what each of those switches adds."""
    unknown = set(on) - set(declared.get("onlyWhen", {}))
    if unknown:
        raise ValueError(f"switches the code does not declare: {sorted(unknown)}")
    out = {}
    for k in ("graph", "exchange", "directoryRoles"):
        extra = [x for sw in sorted(on) for x in declared["onlyWhen"][sw][k]]
        out[k] = sorted(set(declared[k]) | set(extra))
    return out


def permission_differences(code: dict[str, list[str]], infra: dict[str, list[str]]) -> list[str]:
    diffs = []
    for k in ("graph", "exchange", "directoryRoles"):
        c, i = set(code.get(k, [])), set(infra.get(k, []))
        for x in sorted(c - i):
            diffs.append(f"{k}: the code declares {x!r}, the infra does not grant it")
        for x in sorted(i - c):
            diffs.append(f"{k}: the infra grants {x!r}, the code does not declare it")
    return diffs


COSMOS_MOD = CRATES_DIR / "azure" / "src" / "cosmos" / "mod.rs"
COSMOS_CONTAINER_DOC = re.compile(r"partitioned by `(/[^`]+)` \(default `([A-Za-z0-9_-]+)`\)")


def code_cosmos_containers(path: Path = COSMOS_MOD) -> dict[str, str] | None:
    """container -> partition key, from the Cosmos adapter's `ContainerNames` documentation
    ("partitioned by `/id` (default `cases`)"), checked against its `Default` impl; None if the
    adapter does not exist yet."""
    if not path.is_file():
        return None
    text = path.read_text()
    found = {name: pk for pk, name in COSMOS_CONTAINER_DOC.findall(text)}
    m = re.search(r"impl Default for ContainerNames \{(.*?)\n\}", text, re.S)
    defaults = set(re.findall(r'"([A-Za-z0-9_-]+)"\.into\(\)', m.group(1))) if m else set()
    if defaults != set(found):
        raise ValueError(
            f"{path}: ContainerNames defaults {sorted(defaults)} and their documented partition keys "
            f"{found} disagree (or the doc wording changed): update the code or infra/checks/contract.py"
        )
    return found
