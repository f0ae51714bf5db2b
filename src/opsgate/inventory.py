"""Inventories: one target template expanded over every host of a fleet.

A profile declares named inventories (an Ansible inventory in INI or YAML, a Prometheus `file_sd`
file, or a plain list) and a target says `for_each: NAME`; the loader then replaces that target by one
copy per host, with `{{host}}` and `{{labels.KEY}}` filled in everywhere. Expansion happens on the
raw YAML, before validation, so every copy is validated like a target written by hand.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")
_ANSIBLE_SECTION = re.compile(r"^\[(?P<group>[^\]:]+)(?::(?P<suffix>children|vars))?\]$")


class InventoryError(Exception):
    """An inventory that cannot be read or a template that cannot be expanded; names key and file."""


@dataclass(frozen=True)
class InventoryHost:
    """One host of an inventory: its name and its labels (Ansible host vars, `file_sd` labels)."""

    name: str
    labels: dict[str, str] = field(default_factory=dict)


def expand(raw: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    """The profile with every `for_each:` target replaced by one target per inventory host."""
    specs = raw.get("inventories") or {}
    if not any(_templates(raw)):
        return raw
    if not isinstance(specs, dict):
        raise InventoryError("inventories: expected a mapping of inventory names, as `for_each:` names one")
    cache: dict[str, list[InventoryHost]] = {}
    expanded = dict(raw)
    for section, items in raw.items():
        if not isinstance(items, list):
            continue
        result: list[Any] = []
        for index, item in enumerate(items):
            if not (isinstance(item, dict) and "for_each" in item):
                result.append(item)
                continue
            where = f"{section}[{index}]"
            name = item["for_each"]
            if not isinstance(name, str) or name not in specs:
                known = ", ".join(sorted(map(str, specs))) or "none declared"
                raise InventoryError(f"{where}.for_each: unknown inventory {name!r} (known: {known})")
            if name not in cache:
                cache[name] = read_inventory(specs[name], f"inventories.{name}", base_dir)
            result.extend(_instances(item, cache[name], where))
        expanded[section] = result
    return expanded


def _templates(raw: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for items in raw.values():
        if isinstance(items, list):
            yield from (item for item in items if isinstance(item, dict) and "for_each" in item)


def _instances(template: dict[str, Any], hosts: list[InventoryHost], where: str) -> Iterator[dict[str, Any]]:
    body = {key: value for key, value in template.items() if key != "for_each"}
    name = body.get("name")
    if isinstance(name, str) and "{{" not in name:
        body["name"] = name + "@{{host}}"  # `web` -> `web@web-03`: ids stay readable and unique
    for host in hosts:
        yield _fill(copy.deepcopy(body), host, where)


def _fill(value: Any, host: InventoryHost, where: str) -> Any:
    if isinstance(value, dict):
        return {key: _fill(item, host, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, host, f"{where}[{i}]") for i, item in enumerate(value)]
    if not isinstance(value, str) or "{{" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1).strip()
        if key == "host":
            return host.name
        label = key.removeprefix("labels.")
        if not key.startswith("labels.") or label not in host.labels:
            known = ", ".join(["host", *(f"labels.{k}" for k in sorted(host.labels))])
            raise InventoryError(
                f"{where}: placeholder {{{{{key}}}}} is not known for host {host.name!r} (known: {known})"
            )
        return host.labels[label]

    return _PLACEHOLDER.sub(substitute, value)


def read_inventory(spec: Any, where: str, base_dir: Path) -> list[InventoryHost]:
    """The hosts an inventory spec names.

    `{ansible: FILE, group: G}`, `{file_sd: FILE}` or `{hosts: [...]}`; files relative to `base_dir`.
    """
    if not isinstance(spec, dict) or len(set(spec) & {"ansible", "file_sd", "hosts"}) != 1:
        raise InventoryError(f"{where}: expected exactly one of 'ansible', 'file_sd' or 'hosts'")
    unknown = set(spec) - {"ansible", "file_sd", "hosts", "group"}
    if unknown:
        raise InventoryError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if "hosts" in spec:
        hosts = _plain(spec["hosts"], f"{where}.hosts")
    else:
        kind = "ansible" if "ansible" in spec else "file_sd"
        path = (base_dir / str(spec[kind])).resolve()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InventoryError(f"{where}.{kind}: cannot read {path}: {exc}") from None
        hosts = (_ansible(text, path, spec.get("group", "all")) if kind == "ansible"
                 else _file_sd(text, path))
    if not hosts:
        raise InventoryError(f"{where}: the inventory has no hosts: a fleet check over nothing would pass")
    return hosts


def _plain(entries: Any, where: str) -> list[InventoryHost]:
    if not isinstance(entries, list):
        raise InventoryError(f"{where}: expected a list of host names or {{name, labels}} mappings")
    hosts = []
    for index, entry in enumerate(entries):
        if isinstance(entry, str):
            hosts.append(InventoryHost(entry))
        elif isinstance(entry, dict) and isinstance(entry.get("name"), str):
            hosts.append(InventoryHost(entry["name"], _labels(entry.get("labels") or {})))
        else:
            raise InventoryError(f"{where}[{index}]: expected a host name or a mapping with 'name'")
    return hosts


def _labels(mapping: Any) -> dict[str, str]:
    if not isinstance(mapping, dict):
        return {}
    return {str(key): _scalar(value) for key, value in mapping.items() if not isinstance(value, dict | list)}


def _scalar(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _parsed(text: str, path: Path, what: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InventoryError(f"{path}: not {what}: {exc}") from None


def _file_sd(text: str, path: Path) -> list[InventoryHost]:
    """Prometheus `file_sd_configs` content: a list of `{targets: [...], labels: {...}}` groups."""
    groups = _parsed(text, path, "a file_sd JSON or YAML document")
    if not isinstance(groups, list):
        raise InventoryError(f"{path}: a file_sd document is a list of {{targets, labels}} groups")
    hosts = []
    for index, group in enumerate(groups):
        if not isinstance(group, dict) or not isinstance(group.get("targets"), list):
            raise InventoryError(f"{path}: group {index} has no 'targets' list")
        labels = _labels(group.get("labels") or {})
        hosts.extend(InventoryHost(str(target), labels) for target in group["targets"])
    return hosts


def _ansible(text: str, path: Path, group: str) -> list[InventoryHost]:
    """Ansible inventory hosts of `group` (children included), host vars over group vars over `all`."""
    inventory = _AnsibleInventory()
    if path.suffix in (".yaml", ".yml") or text.lstrip().startswith(("all:", "---")):
        inventory.read_yaml(text, path)
    else:
        inventory.read_ini(text, path)
    return inventory.hosts_of(group, path)


@dataclass
class _AnsibleInventory:
    """The parts of Ansible's inventory model a fleet check needs: groups, children, vars."""

    hosts: dict[str, dict[str, str]] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    group_vars: dict[str, dict[str, str]] = field(default_factory=dict)

    def add_host(self, group: str, host: str, host_vars: dict[str, str]) -> None:
        self.hosts.setdefault(host, {}).update(host_vars)
        if host not in self.members.setdefault(group, []):
            self.members[group].append(host)

    def read_ini(self, text: str, path: Path) -> None:
        section, suffix = "ungrouped", None
        for number, line in enumerate(text.splitlines(), 1):
            line = line.split(" #")[0].strip()
            if not line or line.startswith(("#", ";")):
                continue
            header = _ANSIBLE_SECTION.match(line)
            if header:
                section, suffix = header.group("group"), header.group("suffix")
                self.members.setdefault(section, [])
                continue
            if suffix == "children":
                self.children.setdefault(section, []).append(line.split()[0])
            elif suffix == "vars":
                key, sep, value = line.partition("=")
                if not sep:
                    raise InventoryError(f"{path}:{number}: expected KEY=VALUE in [{section}:vars]")
                self.group_vars.setdefault(section, {})[key.strip()] = value.strip()
            else:
                name, *assignments = line.split()
                self.add_host(section, name, _assignments(assignments, path, number))

    def read_yaml(self, text: str, path: Path) -> None:
        data = _parsed(text, path, "a YAML inventory")
        if not isinstance(data, dict):
            raise InventoryError(f"{path}: a YAML inventory is a mapping of groups")
        for group, body in data.items():
            self._read_yaml_group(str(group), body or {}, path)

    def _read_yaml_group(self, group: str, body: Any, path: Path) -> None:
        if not isinstance(body, dict):
            raise InventoryError(f"{path}: group {group!r} must be a mapping (hosts, vars, children)")
        self.members.setdefault(group, [])
        for host, host_vars in (body.get("hosts") or {}).items():
            self.add_host(group, str(host), _labels(host_vars or {}))
        self.group_vars.setdefault(group, {}).update(_labels(body.get("vars") or {}))
        for child, child_body in (body.get("children") or {}).items():
            self.children.setdefault(group, []).append(str(child))
            self._read_yaml_group(str(child), child_body or {}, path)

    def hosts_of(self, group: str, path: Path) -> list[InventoryHost]:
        if group != "all" and group not in self.members:
            known = ", ".join(sorted(set(self.members) - {"all", "ungrouped"})) or "none"
            raise InventoryError(f"{path}: no group {group!r} (groups: {known})")
        return [InventoryHost(name, self._labels_of(name)) for name in self._members_of(group, set())]

    def _members_of(self, group: str, seen: set[str]) -> list[str]:
        if group == "all":
            return list(self.hosts)
        if group in seen:
            return []
        seen.add(group)
        names = list(self.members.get(group, []))
        for child in self.children.get(group, []):
            names += [name for name in self._members_of(child, seen) if name not in names]
        return names

    def _labels_of(self, host: str) -> dict[str, str]:
        """`all` vars, then each enclosing group's from the outermost in, then the host's own."""
        labels = dict(self.group_vars.get("all", {}))
        for group in self._groups_of(host):
            labels.update(self.group_vars.get(group, {}))
        labels.update(self.hosts[host])
        return labels

    def _groups_of(self, host: str) -> list[str]:
        parents = {child: group for group, children in self.children.items() for child in children}
        chain: list[str] = []
        for group in (g for g, members in self.members.items() if host in members):
            line: list[str] = []
            current: str | None = group
            while current is not None and current not in line:
                line.insert(0, current)
                current = parents.get(current)
            chain += [g for g in line if g not in chain]
        return chain


def _assignments(parts: list[str], path: Path, number: int) -> dict[str, str]:
    result = {}
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep:
            raise InventoryError(f"{path}:{number}: expected KEY=VALUE after the host name, got {part!r}")
        result[key] = value.strip("'\"")
    return result
