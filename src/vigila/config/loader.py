"""Load the effective configuration and remember where each value came from.

Layers, lowest first: schema defaults, the profile (`profiles.toml`), the user
file (`vigila.toml`, its top level then its `[profiles.<env>]` table),
`VIGILA_*` environment variables, then command-line flags.
"""

from __future__ import annotations

import os
import re
import tomllib
import typing
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec

from vigila.config.schema import SECTIONS, Config

PROFILES = ("dev", "staging", "production")
_PATH_IN_ERROR = re.compile(r" - at `\$\.?([^`]*)`$")
_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")
_MAPPING_KEY = re.compile(r" - at `key` in `\$\.?([^`]*)`$")


class ConfigError(ValueError):
    """An invalid configuration value: names the key, the value, its source, what is allowed."""


class EffectiveConfig(msgspec.Struct, frozen=True):
    """The validated config plus the source of every value that was set."""

    config: Config
    sources: dict[str, str]
    """Dotted key -> where it was set (`profile dev`, `file vigila.toml`, `env VIGILA_X`, ...)."""


def load_config(**kwargs: Any) -> Config:
    """Load and validate the configuration; see `load_effective` for the arguments."""
    return load_effective(**kwargs).config


def load_effective(
    profile: str | None = None,
    config_file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> EffectiveConfig:
    """Merge every layer, validate once, and raise `ConfigError` on the first bad value.

    `overrides` maps dotted keys (`server.port`) to values given on the command line.
    """
    env = os.environ if env is None else env
    file_path = config_file or env.get("VIGILA_CONFIG")
    file_data = _read_toml(Path(file_path)) if file_path else {}
    file_label = f"file {file_path}"

    env_layer = _env_layer(env)
    overrides = dict(overrides or {})
    env_profile, env_var = env_layer.pop("environment", (None, ""))
    file_profile = file_data.pop("environment", None)
    chosen, chosen_from = "dev", "default"
    if profile:
        chosen, chosen_from = profile, "command line"
    elif env_profile:
        chosen, chosen_from = env_profile, f"env {env_var}"
    elif file_profile:
        chosen, chosen_from = file_profile, file_label
    if chosen not in PROFILES:
        raise ConfigError(f"environment = {chosen!r}: expected one of {', '.join(PROFILES)}")

    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    _apply(merged, sources, _profile_defaults(chosen), f"profile {chosen}")
    file_profiles = file_data.pop("profiles", {})
    _apply(merged, sources, file_data, file_label)
    _apply(merged, sources, file_profiles.get(chosen, {}), f"{file_label} [profiles.{chosen}]")
    for key, (value, var) in env_layer.items():
        _apply(merged, sources, _nest({key: value}), f"env {var}")
    _apply(merged, sources, _nest(overrides), "command line")
    merged["environment"] = chosen
    sources["environment"] = chosen_from

    try:
        config = msgspec.convert(merged, Config, strict=False)
    except msgspec.ValidationError as exc:
        raise _explain(exc, merged, sources) from None
    return EffectiveConfig(config=config, sources=sources)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def _profile_defaults(profile: str) -> dict[str, Any]:
    text = resources.files("vigila.config").joinpath("profiles.toml").read_text()
    return tomllib.loads(text)[profile]


def _env_layer(env: Mapping[str, str]) -> dict[str, tuple[Any, str]]:
    """`VIGILA_LOG_PARTITIONS=8` -> {"log.partitions": ("8", "VIGILA_LOG_PARTITIONS")}."""
    top_level = {f.name for f in msgspec.structs.fields(Config)} - set(SECTIONS)
    layer: dict[str, tuple[Any, str]] = {}
    for var, raw in env.items():
        if not var.startswith("VIGILA_"):
            continue
        name = var[len("VIGILA_") :].lower()
        if name == "profile":
            name = "environment"
        if name in top_level:
            layer[name] = (_parse_env_value(name, raw), var)
            continue
        section, _, key = name.partition("_")
        if section in SECTIONS and key:
            layer[f"{section}.{key}"] = (raw, var)
    return layer


def _parse_env_value(name: str, raw: str) -> Any:
    """Lists are comma-separated, maps are `k=v` pairs; scalars stay strings for convert()."""
    if name == "packs":
        return [item.strip() for item in raw.split(",") if item.strip()]
    if name == "tags":
        pairs = (item.partition("=") for item in raw.split(",") if item.strip())
        return {k.strip(): v.strip() for k, _, v in pairs}
    return raw


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for dotted, value in flat.items():
        *parents, leaf = dotted.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested


def _apply(target: dict[str, Any], sources: dict[str, str], layer: Mapping[str, Any],
           label: str, prefix: str = "") -> None:
    for key, value in layer.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and (key in SECTIONS or key == "pack_settings" or (
                prefix.startswith("pack_settings."))):
            _apply(target.setdefault(key, {}), sources, value, label, f"{dotted}.")
        else:
            target[key] = value
            sources[dotted] = label


def _explain(exc: msgspec.ValidationError, merged: dict[str, Any],
             sources: dict[str, str]) -> ConfigError:
    message = str(exc)
    match = _PATH_IN_ERROR.search(message)
    key = match.group(1) if match else ""
    reason = _PATH_IN_ERROR.sub("", message)
    mapping = _MAPPING_KEY.search(reason)
    if mapping or "[...]" in key:  # inside a table of names: say which entry
        key, reason = _entry_at_fault(mapping.group(1) if mapping else key.split("[...]")[0],
                                      merged, key, reason)
    unknown = _UNKNOWN_FIELD.search(message)
    if unknown:
        key = f"{key}.{unknown.group(1)}" if key else unknown.group(1)
        allowed = _allowed_keys(key.rpartition(".")[0], merged)
        return ConfigError(
            f"unknown configuration key {key!r} ({_source(key, sources)}); "
            f"allowed here: {', '.join(allowed)}"
        )
    value: Any = merged
    for part in key.split(".") if key else []:
        value = value.get(part) if isinstance(value, dict) else None
    return ConfigError(
        f"invalid configuration: {key} = {value!r} ({_source(key, sources)}): "
        f"{reason}{_allowed_values(key, merged)}"
    )


def _entry_at_fault(table: str, merged: dict[str, Any], key: str, reason: str
                    ) -> tuple[str, str]:
    """msgspec names no entry of a table (`targets[...].type`): validate them one by one."""
    hint = typing.get_type_hints(Config, include_extras=True).get(table)
    entries = merged.get(table)
    if hint is None or not isinstance(entries, dict):
        return key, reason
    for name, value in entries.items():
        try:
            msgspec.convert({name: value}, hint, strict=False)
        except msgspec.ValidationError as exc:
            inner = str(exc)
            if _MAPPING_KEY.search(inner):
                return table, f"the name {name!r} is not allowed: {_MAPPING_KEY.sub('', inner)}"
            match = _PATH_IN_ERROR.search(inner)
            rest = match.group(1).removeprefix("[...]") if match else ""
            return f"{table}.{name}{rest}", _PATH_IN_ERROR.sub("", inner)
    return key, reason


def _source(key: str, sources: dict[str, str]) -> str:
    """Where `key`, or the nearest table above it, was set."""
    while key and key not in sources:
        key = key.rpartition(".")[0]
    return sources.get(key, "default")


def _info_at(key: str, merged: dict[str, Any]) -> Any:
    """The msgspec type info at a dotted key; a tagged union resolved by the value's tag."""
    info: Any = msgspec.inspect.type_info(Config)
    value: Any = merged
    for part in key.split(".") if key else []:
        info = _resolve(info, value)
        if isinstance(info, msgspec.inspect.StructType):
            field = next((f for f in info.fields if f.encode_name == part), None)
            if field is None:
                return None
            info = field.type
        elif isinstance(info, msgspec.inspect.DictType):
            info = info.value_type
        else:
            return None
        value = value.get(part) if isinstance(value, dict) else None
    return _resolve(info, value)


def _resolve(info: Any, value: Any) -> Any:
    if not isinstance(info, msgspec.inspect.UnionType):
        return info
    tagged = [t for t in info.types if isinstance(t, msgspec.inspect.StructType) and t.tag]
    if tagged and isinstance(value, dict):
        return next((t for t in tagged if t.tag == value.get(t.tag_field)), info)
    real = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
    return real[0] if len(real) == 1 else info


def _allowed_values(key: str, merged: dict[str, Any]) -> str:
    """For a choice field, the choices (msgspec's enum and tag errors omit them)."""
    parent, _, leaf = key.rpartition(".")
    above: Any = msgspec.inspect.type_info(Config)
    if parent:
        above = _info_at(parent.rpartition(".")[0], merged)
        above = above.value_type if isinstance(above, msgspec.inspect.DictType) else None
    if isinstance(above, msgspec.inspect.UnionType):
        tags = sorted(str(t.tag) for t in above.types
                      if isinstance(t, msgspec.inspect.StructType) and t.tag_field == leaf)
        if tags:
            return f"; allowed: {', '.join(tags)}"
    info = _info_at(key, merged)
    if isinstance(info, msgspec.inspect.LiteralType):
        return f"; allowed: {', '.join(map(str, info.values))}"
    return ""


def _allowed_keys(section: str, merged: dict[str, Any]) -> list[str]:
    info = _info_at(section, merged)
    if not isinstance(info, msgspec.inspect.StructType):
        return []
    return sorted(f.encode_name for f in info.fields)
