"""Packs: domain knowledge declared as data, loaded by name, wired by the engine.

A pack is a module that exposes `PACK`, either shipped here
(`vigila.packs.<name>`) or installed by a third party under the `vigila.packs`
entry-point group.
"""

from vigila.packs.base import Pack, load_packs

__all__ = ["Pack", "load_packs"]
