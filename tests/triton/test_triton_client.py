"""TritonBackend failures that need no server: nothing listening, bad TLS files, bad options."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from build_engine.triton_server import free_port
from inference.backends import BackendConfig, available_backends, open_backend
from inference.errors import BackendUnavailableError, InputError, RemoteInferenceError
from tests.triton.conftest import need_tritonclient


@pytest.fixture(autouse=True)
def _client() -> None:
    need_tritonclient()


def test_triton_is_listed_as_available() -> None:
    assert available_backends()["triton"] == (True, "")


def test_server_down_at_start_fails_fast_and_clearly() -> None:
    # GIVEN a port where nothing listens
    url = f"127.0.0.1:{free_port()}"
    t0 = time.monotonic()
    # WHEN the back end is opened THEN it fails with the remote error class, quickly
    with pytest.raises(RemoteInferenceError, match="cannot be reached") as info:
        open_backend(BackendConfig("triton", {"url": url, "timeout_s": 5.0}))
    assert time.monotonic() - t0 < 3.0
    assert info.value.status == "StatusCode.UNAVAILABLE"
    assert url in (info.value.hint or "")
    assert info.value.__cause__ is not None  # the tritonclient error stays in the chain


def test_missing_tls_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(RemoteInferenceError, match="TLS file not found") as info:
        open_backend(BackendConfig("triton", {"tls": True, "root_cert": str(tmp_path / "ca.pem")}))
    assert info.value.status == "TLS"


def test_client_certificate_needs_its_key(tmp_path: Path) -> None:
    cert = tmp_path / "client.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\n")
    with pytest.raises(RemoteInferenceError, match="both the key"):
        open_backend(BackendConfig("triton", {"tls": True, "client_cert": str(cert)}))


def test_non_positive_timeout_is_refused() -> None:
    # the schema refuses it before any connection (exit code 2, a bad option) ...
    with pytest.raises(InputError, match="--timeout must be at least"):
        open_backend(BackendConfig("triton", {"timeout_s": 0}))
    # ... and the back end itself still does, for callers that build it directly
    from inference.backends.triton_grpc import TritonBackend

    with pytest.raises(BackendUnavailableError, match="timeout"):
        TritonBackend("127.0.0.1:1", "tiny", timeout_s=0)
