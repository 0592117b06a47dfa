"""Configuration: one schema, three environment profiles, env-var overrides.

>>> from vigila.config import load_config
>>> cfg = load_config(profile="staging", env={})
>>> cfg.log.synchronous, cfg.auth.required, cfg.resource_name
('FULL', True, 'vigila-staging-local')
"""

from vigila.config.loader import ConfigError, EffectiveConfig, load_config, load_effective
from vigila.config.schema import Config

__all__ = ["Config", "ConfigError", "EffectiveConfig", "load_config", "load_effective"]
