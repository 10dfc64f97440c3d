"""The two deployment variants the templates describe, and each one written out for a scanner.

Both template sets take one switch (Bicep `privateNetworking`, Terraform `private_networking`):
`public` (the default) or `private`, the network-hardened deployment. The summaries in
summary.py evaluate the switch themselves; checkov cannot (it reads the Bicep ternary as an
expression and evaluates Terraform only with the variables' defaults), so `write_variant`
renders a copy of a template directory as a deployment with that value would see it:

- Terraform: the variable's default is set to the variant's value (checkov evaluates the rest:
  `count`, `for_each`, conditionals, `!`).
- Bicep: the parameter's default is set, and every `privateNetworking ? A : B` becomes the
  chosen branch, as ARM would evaluate it. Branches must be simple (a literal or a reference);
  anything else is refused, so a rendering never silently differs from the template.
- Skip comments whose reason starts with PUBLIC_ONLY are dropped from the private rendering:
  they exist because of the public endpoints, and the private variant must pass those checks
  on its own.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

VARIANTS = ("public", "private")
BICEP_SWITCH = "privateNetworking"
TF_SWITCH = "private_networking"
PUBLIC_ONLY = "Public variant only"

_SKIP = re.compile(r"^\s*(?://|#)checkov:skip=([A-Z0-9_]+):(.*)$")
# A branch of a Bicep conditional on the switch: a quoted string, null/true/false, a number or a
# dotted reference (`network!.outputs.appSubnetId`, `!` asserting a conditional module exists).
_BRANCH = r"(?:'[^'\n]*'|[A-Za-z_][A-Za-z0-9_]*!?(?:\.[A-Za-z0-9_]+)*|[0-9]+)"
_BICEP_TERNARY = re.compile(rf"\b{BICEP_SWITCH} \? ({_BRANCH}) : ({_BRANCH})")


def is_private(variant: str) -> bool:
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}: one of {VARIANTS}")
    return variant == "private"


_TF_RESOURCE = re.compile(r'^resource "([a-z0-9_]+)" "([a-z0-9_]+)"')
_BICEP_RESOURCE = re.compile(r"^resource ([A-Za-z0-9_]+) '([A-Za-z0-9./]+)@")


def public_only_skips(directory: Path, suffix: str) -> list[tuple[str, str, str]]:
    """(file name, check id, checkov resource id) of every skip only the public variant needs."""
    out = []
    for f in sorted(directory.rglob(f"*{suffix}")):
        resource = ""
        for line in f.read_text().splitlines():
            if m := _TF_RESOURCE.match(line):
                resource = f"{m.group(1)}.{m.group(2)}"
            elif m := _BICEP_RESOURCE.match(line):
                resource = f"{m.group(2)}.{m.group(1)}"
            m = _SKIP.match(line)
            if m and m.group(2).strip().startswith(PUBLIC_ONLY):
                out.append((f.name, m.group(1), resource))
    return out


def render_bicep(text: str, private: bool) -> str:
    default = "true" if private else "false"
    text, n = re.subn(rf"^(param {BICEP_SWITCH} bool = )(?:true|false)$", rf"\g<1>{default}", text, flags=re.M)
    text = _BICEP_TERNARY.sub(lambda m: m.group(1) if private else m.group(2), text)
    left = re.findall(rf"\b{BICEP_SWITCH} \?[^\n]*", text)
    if left:
        raise ValueError(f"conditional on {BICEP_SWITCH} too complex to render for a scanner: {left}")
    return text


def render_terraform(text: str, private: bool) -> str:
    block = re.compile(rf'(variable "{TF_SWITCH}" \{{.*?default\s*=\s*)(?:true|false)', re.S)
    return block.sub(lambda m: m.group(1) + ("true" if private else "false"), text)


def drop_public_only_skips(text: str) -> str:
    return "\n".join(
        line for line in text.splitlines()
        if not ((m := _SKIP.match(line)) and m.group(2).strip().startswith(PUBLIC_ONLY))
    ) + "\n"


def write_variant(src: Path, dest: Path, framework: str, variant: str) -> Path:
    """Copies a template directory to `dest`, rendered as `variant` (see the module doc)."""
    private = is_private(variant)
    shutil.copytree(src, dest)
    suffix = ".bicep" if framework == "bicep" else ".tf"
    for f in dest.rglob(f"*{suffix}"):
        text = f.read_text()
        new = render_bicep(text, private) if framework == "bicep" else render_terraform(text, private)
        if private:
            new = drop_public_only_skips(new)
        f.write_text(new)
    value = "true" if private else "false"
    if framework == "bicep":
        rendered = (dest / "main.bicep").read_text()
        ok = f"param {BICEP_SWITCH} bool = {value}\n" in rendered
    else:
        rendered = (dest / "variables.tf").read_text()
        ok = re.search(rf'variable "{TF_SWITCH}" \{{[^}}]*default\s*=\s*{value}', rendered) is not None
    if not ok:
        raise ValueError(f"{src}: the variant switch ({BICEP_SWITCH}/{TF_SWITCH}) was not found")
    return dest
