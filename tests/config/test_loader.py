import pytest

from vigila.config import ConfigError, load_effective


@pytest.mark.parametrize(("profile", "retention", "sync", "auth"), [
    ("dev", 7, "NORMAL", False),
    ("staging", 30, "FULL", True),
    ("production", 90, "FULL", True),
])
def test_profiles(profile, retention, sync, auth):
    cfg = load_effective(profile=profile, env={}).config
    assert cfg.log.retention_days == retention
    assert cfg.log.synchronous == sync
    assert cfg.auth.required is auth
    assert cfg.resource_name == f"vigila-{profile}-local"
    assert cfg.resource_tags["Environment"] == profile


def test_layers_and_their_sources(tmp_path):
    path = tmp_path / "vigila.toml"
    path.write_text('name = "fabricwatch"\nregion = "eu-west-1"\nenvironment = "staging"\n'
                    '[log]\npartitions = 12\n[profiles.staging.log]\nretention_days = 45\n'
                    '[tags]\nteam = "sre"\n')
    eff = load_effective(config_file=path,
                         env={"VIGILA_LOG_PARTITIONS": "24", "VIGILA_AUTH_REQUIRED": "false"},
                         overrides={"server.port": 9000})
    cfg = eff.config
    assert (cfg.environment, cfg.log.partitions, cfg.log.retention_days) == ("staging", 24, 45)
    assert cfg.auth.required is False and cfg.server.port == 9000
    assert cfg.resource_name == "fabricwatch-staging-eu-west-1"
    assert cfg.tags == {"team": "sre"}
    assert eff.sources["log.partitions"] == "env VIGILA_LOG_PARTITIONS"
    assert eff.sources["log.retention_days"] == f"file {path} [profiles.staging]"
    assert eff.sources["log.synchronous"] == "profile staging"
    assert eff.sources["server.port"] == "command line"
    assert eff.sources["environment"] == f"file {path}"
    assert eff.sources["name"] == f"file {path}"


def test_profile_precedence():
    assert load_effective(env={}).config.environment == "dev"
    env = {"VIGILA_PROFILE": "production"}
    assert load_effective(env=env).config.environment == "production"
    assert load_effective(profile="staging", env=env).config.environment == "staging"


def test_list_and_map_env_values():
    cfg = load_effective(env={"VIGILA_PACKS": "fabric, payments", "VIGILA_TAGS": "a=1,b=2"}
                         ).config
    assert cfg.packs == ["fabric", "payments"] and cfg.tags == {"a": "1", "b": "2"}


@pytest.mark.parametrize(("env", "message"), [
    ({"VIGILA_LOG_PARTITIONS": "0"},
     "log.partitions = '0' (env VIGILA_LOG_PARTITIONS): Expected `int` >= 1"),
    ({"VIGILA_LOG_PARTITIONS": "many"}, "log.partitions = 'many'"),
    ({"VIGILA_LOG_SYNCHRONOUS": "fast"}, "allowed: EXTRA, FULL, NORMAL, OFF"),
    ({"VIGILA_AUTH_REQUIRED": "maybe"}, "auth.required = 'maybe'"),
    ({"VIGILA_LOG_PARTITONS": "3"}, "unknown configuration key 'log.partitons'"),
    ({"VIGILA_PROFILE": "qa"}, "expected one of dev, staging, production"),
    ({"VIGILA_NAME": "Bad Name!"}, "name = 'Bad Name!'"),
    ({"VIGILA_INGEST_MAX_BODY_BYTES": "10"}, "Expected `int` >= 1024"),
    ({"VIGILA_INGEST_WORKERS": "-1"}, "ingest.workers = '-1' (env VIGILA_INGEST_WORKERS)"),
    ({"VIGILA_TRACING_SAMPLE_RATIO": "2"}, "tracing.sample_ratio"),
    ({"VIGILA_AI_PROVIDER": "gpt"}, "allowed: anthropic, bedrock, none, openai"),
    ({"VIGILA_AI_SAMPLE_RATE": "1.5"}, "ai.sample_rate = '1.5' (env VIGILA_AI_SAMPLE_RATE)"),
    ({"VIGILA_AI_ENABLED": "perhaps"}, "ai.enabled = 'perhaps'"),
    ({"VIGILA_AI_HOURLY_BUDGET_USD": "-1"}, "ai.hourly_budget_usd"),
])
def test_bad_values_name_key_value_source_and_what_is_allowed(env, message):
    with pytest.raises(ConfigError) as info:
        load_effective(env=env)
    assert message in str(info.value)


def test_bad_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_effective(config_file=tmp_path / "missing.toml", env={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[log\npartitions = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_effective(config_file=bad, env={})
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[logs]\npartitions = 1")
    with pytest.raises(ConfigError, match="unknown configuration key 'logs'"):
        load_effective(config_file=unknown, env={})


def test_unrelated_env_vars_are_ignored():
    assert load_effective(env={"VIGILA_URL": "http://x", "VIGILA_API_KEY": "k",
                               "PATH": "/bin"}).config.environment == "dev"


def test_ai_settings_from_the_environment():
    config = load_effective(env={"VIGILA_AI_PROVIDER": "openai", "VIGILA_AI_MODEL": "m",
                                 "VIGILA_AI_BASE_URL": "http://127.0.0.1:8000/v1",
                                 "VIGILA_AI_API_KEY": "sk-1", "VIGILA_AI_ENABLED": "false"})
    ai = config.config.ai
    assert (ai.provider, ai.model, ai.api_key, ai.enabled) == ("openai", "m", "sk-1", False)
    assert config.sources["ai.api_key"] == "env VIGILA_AI_API_KEY"
