"""The one settings table drives CLI flags, stored settings and the back-end config."""

from __future__ import annotations

import argparse

from desktop.core import settings as table


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    table.add_cli_arguments(parser)
    return parser.parse_args(list(argv))


def test_every_setting_has_key_type_default_and_help() -> None:
    keys = [s.key for s in table.settings()]
    assert len(keys) == len(set(keys))
    for s in table.settings():
        assert isinstance(s.default, s.type) and s.help
    assert table.defaults()["review/confidence_threshold"] == 0.6
    assert table.defaults()["document/dpi"] == 200


def test_cli_flags_override_only_what_was_given() -> None:
    given = table.from_cli(parse("--backend", "triton", "--url", "ocr.example:8001", "--tls", "--threshold", "0.4"))
    assert given == {
        "backend/kind": "triton",
        "backend/url": "ocr.example:8001",
        "backend/tls": True,
        "review/confidence_threshold": 0.4,
    }
    assert table.from_cli(parse()) == {}


def test_backend_config_from_settings() -> None:
    values = table.defaults() | {"backend/model_path": "/m/a.onnx", "backend/threads": 3}
    cfg = table.backend_config(values)
    assert cfg.kind == "cpu" and cfg.options == {"model_path": "/m/a.onnx", "threads": 3, "batch_size": 32}
    values |= {"backend/kind": "tensorrt", "backend/plan_path": "/m/a.plan"}
    assert table.backend_config(values).options == {"plan_path": "/m/a.plan", "batch_size": 32}
    values |= {
        "backend/kind": "triton",
        "backend/token_header": "Authorization: Bearer abc",
        "backend/tls": True,
        "backend/timeout_s": "2.5",
    }
    cfg = table.backend_config(values)
    assert cfg.options["token_header"] == "Authorization: Bearer abc" and cfg.options["tls"] is True
    assert cfg.options["timeout_s"] == 2.5 and cfg.options["model_path"] == "/m/a.onnx"


def test_settings_are_the_back_end_schema_plus_the_apps_own() -> None:
    from inference.backends import backend_options

    keys = [s.key for s in table.settings()]
    assert keys == [f"backend/{o.key}" for o in backend_options()] + [s.key for s in table.APP_SETTINGS]
    assert "backend/timeout_s" in keys  # the Triton timeout is a setting, not only a flag
    assert [s.key for s in table.backend_settings("triton")][:3] == [
        "backend/url",
        "backend/model_name",
        "backend/timeout_s",
    ]


def test_each_key_finds_its_own_setting() -> None:
    import pytest

    for s in table.settings():
        assert table.setting(s.key) == s
    assert not any(s.key.startswith(table.BACKEND_PREFIX) for s in table.APP_SETTINGS)
    for key in ("review/nonsense", "backend/nonsense", "model_path"):
        with pytest.raises(KeyError):
            table.setting(key)


def test_coerce_stored_strings_and_bounds() -> None:
    assert table.coerce("backend/tls", "true") is True
    assert table.coerce("backend/tls", "false") is False
    assert table.coerce("document/dpi", "300") == 300
    assert table.coerce("document/dpi", "9999") == 600
    assert table.coerce("backend/kind", "quantum") == "cpu"
    assert table.coerce("review/confidence_threshold", "nonsense") == 0.6


def test_remote_host() -> None:
    assert table.remote_host(table.defaults()) is None
    assert table.remote_host({"backend/kind": "triton", "backend/url": "grpcs://ocr.lan:8001"}) == "ocr.lan"


def test_both_command_lines_spell_the_back_end_flags_the_same() -> None:
    from inference.cli import build_parser

    app = argparse.ArgumentParser()  # as desktop.app.parse_args builds it
    table.add_cli_arguments(app)
    page = build_parser()._subparsers._group_actions[0].choices["page"]  # type: ignore[union-attr,index]

    def flags(p):
        return {s for a in p._actions for s in a.option_strings}

    own = ("-h", "--help", "--threshold", "--triage-threshold", "--unreadable-below", "--dpi", "--reviewer")
    backend_flags = {s for s in flags(app) if s not in (*own, "--second-reader", "--no-second-reader")}
    assert backend_flags <= flags(page)
    assert {"--tls", "--no-tls", "--header", "--timeout", "--plan"} <= backend_flags
    assert not {"--ssl", "--token-header"} & (flags(app) | flags(page))
