"""TLS with a client certificate and a bearer token, against a real tritonserver.

Certificates come from the ``openssl`` command (a throw-away CA, made at test time). The server
requires mutual TLS on gRPC and an ``authorization`` header for inference and metadata.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from build_engine.triton_repo import RepoOptions, write_repository
from inference.backends import BackendConfig, open_backend
from inference.errors import RemoteInferenceError
from tests.triton.conftest import need_triton_venv

pytestmark = pytest.mark.triton

TOKEN = "Bearer test-token-not-a-secret"
#: Triton's --grpc-restricted-protocol=...:authorization=... checks this gRPC header.
HEADER = "triton-grpc-protocol-authorization"


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certificates(folder: Path) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make test certificates")
    folder.mkdir(parents=True, exist_ok=True)
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "1",
        "-subj",
        "/CN=notelasso-test-ca",
        cwd=folder,
    )
    for name, ext in (
        ("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"),
        ("client", "extendedKeyUsage=clientAuth\n"),
    ):
        (folder / f"{name}.ext").write_text(ext)
        _openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.csr",
            "-subj",
            f"/CN={name}",
            cwd=folder,
        )
        _openssl(
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            f"{name}.pem",
            "-days",
            "1",
            "-extfile",
            f"{name}.ext",
            cwd=folder,
        )
    return {n: folder / n for n in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")}


@pytest.fixture(scope="module")
def tls_server(tiny_onnx: Path, tmp_path_factory: pytest.TempPathFactory):
    venv = need_triton_venv()
    from build_engine.triton_server import TritonServer

    certs = make_certificates(tmp_path_factory.mktemp("certs"))
    repo = tmp_path_factory.mktemp("tls-repo")
    write_repository(tiny_onnx, repo, RepoOptions(model_name="tiny", platform="python", cpu_threads=1))
    server = TritonServer(
        repo,
        venv=venv,
        extra_args=(
            "--grpc-use-ssl=true",
            "--grpc-use-ssl-mutual=true",
            f"--grpc-server-cert={certs['server.pem']}",
            f"--grpc-server-key={certs['server.key']}",
            f"--grpc-root-cert={certs['ca.pem']}",
            f"--grpc-restricted-protocol=inference,metadata,model-config:authorization={TOKEN}",
        ),
    )
    server.start(timeout_s=120)
    yield server, certs
    server.stop()


def tls_config(server, certs: dict[str, Path], **options) -> BackendConfig:
    base = {
        "url": server.grpc_url,
        "model_name": "tiny",
        "timeout_s": 5.0,
        "tls": True,
        "root_cert": str(certs["ca.pem"]),
        "client_cert": str(certs["client.pem"]),
        "client_key": str(certs["client.key"]),
        "token_header": f"{HEADER}: {TOKEN}",
    }
    return BackendConfig("triton", base | options)


def test_mutual_tls_with_token_works(tls_server) -> None:
    server, certs = tls_server
    backend = open_backend(tls_config(server, certs))
    try:
        assert backend.infer(np.zeros((3, 3, 32, 128), np.float32)).shape == (3, 26, 95)
    finally:
        backend.close()


@pytest.mark.parametrize("header", ["", f"{HEADER}: Bearer zz-bad-token", f"authorization: {TOKEN}"])
def test_missing_or_wrong_token_is_refused(tls_server, header: str) -> None:
    server, certs = tls_server
    with pytest.raises(RemoteInferenceError, match="access header") as info:
        open_backend(tls_config(server, certs, token_header=header))
    assert info.value.status == "RESTRICTED" and "triton-grpc-protocol-" in (info.value.hint or "")
    assert "zz-bad-token" not in str(info.value) and TOKEN not in str(info.value)  # header values never echoed


def test_plain_client_against_tls_server_fails_fast(tls_server) -> None:
    server, _certs = tls_server
    t0 = time.monotonic()
    with pytest.raises(RemoteInferenceError):
        open_backend(
            BackendConfig(
                "triton",
                {"url": server.grpc_url, "model_name": "tiny", "timeout_s": 5.0, "token_header": f"{HEADER}: {TOKEN}"},
            )
        )
    assert time.monotonic() - t0 < 6.0


def test_untrusted_server_certificate_is_refused(tls_server, tmp_path: Path) -> None:
    server, certs = tls_server
    other = make_certificates(tmp_path / "other")
    with pytest.raises(RemoteInferenceError, match="cannot be reached"):
        open_backend(tls_config(server, certs, root_cert=str(other["ca.pem"])))
