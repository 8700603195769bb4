"""Dialogs: settings (with a back-end connection test), error and password prompts."""

from __future__ import annotations

import html
import time
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QGroupBox, QHBoxLayout, QInputDialog, QLabel, QLineEdit, QMessageBox,
                               QPushButton, QSpinBox, QStackedWidget, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget, QHeaderView)

from desktop.core import settings as table
from desktop.qt.workers import run_job
from inference.backends import BACKENDS, available_backends, open_backend
from inference.errors import NoteLassoError

__all__ = ["SettingsDialog", "ask_password_dialog", "show_error_dialog"]

def show_error_dialog(parent: QWidget | None, title: str, message: str, hint: str | None) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    if hint:
        box.setInformativeText(hint)
    box.exec()


def ask_password_dialog(parent: QWidget | None, filename: str, is_retry: bool) -> str | None:
    prompt = (f"Wrong password. Try again for {filename}:" if is_retry
              else f"{filename} is password-protected. Password:")
    text, ok = QInputDialog.getText(parent, "Password required", prompt, QLineEdit.EchoMode.Password)
    return text if ok else None


def _help(key: str) -> str:
    return next(s.help for s in table.SETTINGS if s.key == key)


class SettingsDialog(QDialog):
    """Edits the settings table; ``values()`` returns what the user chose."""

    connection_tested = Signal(bool, str)

    def __init__(self, values: dict[str, Any], parent: QWidget | None = None,
                 pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._pool = pool or QThreadPool.globalInstance()
        self._avail = available_backends()
        v = dict(values)

        self.kind = QComboBox()
        for kind in table.BACKEND_KINDS:
            ok, _hint = self._avail.get(kind, (False, ""))
            self.kind.addItem(BACKENDS[kind][1] + ("" if ok else "  (not installed)"), kind)
        self.kind.setCurrentIndex(max(0, self.kind.findData(v["backend/kind"])))

        self.model_path = self._path_edit(v["backend/model_path"], "ONNX model (*.onnx)")
        self.threads = QSpinBox()
        self.threads.setRange(0, 64)
        self.threads.setSpecialValueText("automatic")
        self.threads.setValue(v["backend/threads"])
        cpu = QWidget()
        f = QFormLayout(cpu)
        f.addRow("Model file", self.model_path[0])
        f.addRow("Threads", self.threads)

        self.plan_path = self._path_edit(v["backend/plan_path"], "TensorRT engine (*.plan *.engine)")
        trt = QWidget()
        f = QFormLayout(trt)
        f.addRow("Engine file", self.plan_path[0])
        self.trt_hint = QLabel()
        self.trt_hint.setWordWrap(True)
        self.trt_hint.setObjectName("hintLabel")
        f.addRow(self.trt_hint)

        self.url = QLineEdit(v["backend/url"])
        self.model_name = QLineEdit(v["backend/model_name"])
        self.tls = QCheckBox("Use TLS")
        self.tls.setChecked(v["backend/tls"])
        self.root_cert = self._path_edit(v["backend/root_cert"], "PEM (*.pem *.crt)")
        self.client_cert = self._path_edit(v["backend/client_cert"], "PEM (*.pem *.crt)")
        self.client_key = self._path_edit(v["backend/client_key"], "PEM (*.pem *.key)")
        self.token = QLineEdit(v["backend/token_header"])
        self.token.setPlaceholderText("Authorization: Bearer …")
        self.token.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        triton = QWidget()
        f = QFormLayout(triton)
        f.addRow("Server (host:port)", self.url)
        f.addRow("Model name", self.model_name)
        f.addRow("", self.tls)
        f.addRow("Root certificate", self.root_cert[0])
        f.addRow("Client certificate", self.client_cert[0])
        f.addRow("Client key", self.client_key[0])
        f.addRow("Token header", self.token)
        self.remote_note = QLabel("Page regions are sent to this server. Use it only if your organisation allows it.")
        self.remote_note.setWordWrap(True)
        self.remote_note.setObjectName("hintLabel")
        f.addRow(self.remote_note)

        self.stack = QStackedWidget()
        for w in (cpu, trt, triton):
            self.stack.addWidget(w)
        self.kind.currentIndexChanged.connect(self._on_kind_changed)

        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel("")
        self.test_result.setWordWrap(True)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)

        backend_box = QGroupBox("Recognition back end")
        bl = QVBoxLayout(backend_box)
        bl.addWidget(self.kind)
        bl.addWidget(self.stack)
        bl.addLayout(test_row)

        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setDecimals(2)
        self.threshold.setValue(v["review/confidence_threshold"])
        self.dpi = QSpinBox()
        self.dpi.setRange(72, 600)
        self.dpi.setSuffix(" dpi")
        self.dpi.setValue(v["document/dpi"])
        self.batch = QSpinBox()
        self.batch.setRange(1, 512)
        self.batch.setValue(v["backend/batch_size"])
        review_box = QGroupBox("Review")
        rf = QFormLayout(review_box)
        rf.addRow("Mark characters below confidence", self.threshold)
        rf.addRow("Render PDF pages at", self.dpi)
        rf.addRow("Batch size", self.batch)
        for w, key in ((self.threshold, "review/confidence_threshold"), (self.dpi, "document/dpi"),
                       (self.batch, "backend/batch_size"), (self.threads, "backend/threads"),
                       (self.url, "backend/url"), (self.token, "backend/token_header")):
            w.setToolTip(_help(key))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(backend_box)
        lay.addWidget(review_box)
        lay.addWidget(buttons)
        self._on_kind_changed()
        self.resize(560, 0)

    def _path_edit(self, value: str, filter_: str) -> tuple[QWidget, QLineEdit]:
        w = QWidget()
        row = QHBoxLayout(w)
        row.setContentsMargins(0, 0, 0, 0)
        edit = QLineEdit(value)
        browse = QPushButton("…")
        browse.setFixedWidth(32)

        def pick() -> None:
            path, _ = QFileDialog.getOpenFileName(self, "Choose a file", edit.text(), filter_)
            if path:
                edit.setText(path)

        browse.clicked.connect(pick)
        row.addWidget(edit, 1)
        row.addWidget(browse)
        return w, edit

    def _on_kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.stack.setCurrentIndex(table.BACKEND_KINDS.index(kind))
        ok, hint = self._avail.get("tensorrt", (False, ""))
        self.trt_hint.setText("" if ok else f"TensorRT is not installed here. To use it: {hint}.")
        self.test_result.setText("")

    def values(self) -> dict[str, Any]:
        return {
            "backend/kind": self.kind.currentData(),
            "backend/model_path": self.model_path[1].text().strip(),
            "backend/plan_path": self.plan_path[1].text().strip(),
            "backend/url": self.url.text().strip(),
            "backend/model_name": self.model_name.text().strip(),
            "backend/tls": self.tls.isChecked(),
            "backend/root_cert": self.root_cert[1].text().strip(),
            "backend/client_cert": self.client_cert[1].text().strip(),
            "backend/client_key": self.client_key[1].text().strip(),
            "backend/token_header": self.token.text().strip(),
            "backend/threads": self.threads.value(),
            "backend/batch_size": self.batch.value(),
            "review/confidence_threshold": self.threshold.value(),
            "document/dpi": self.dpi.value(),
        }

    def test_connection(self) -> None:
        """Open the chosen back end on a worker and run one dummy batch; report name and latency."""
        cfg = table.backend_config(self.values())
        self.test_button.setEnabled(False)
        self.test_result.setText("Connecting…")

        def probe() -> str:
            import numpy as np

            backend = open_backend(cfg)
            try:
                spec = backend.spec
                batch = np.zeros((1, *spec.input_shape), np.float32)
                t0 = time.perf_counter()
                backend.infer(batch)
                ms = (time.perf_counter() - t0) * 1e3
                return f"OK: {spec.name} {spec.version} on {backend.label}, {ms:.0f} ms per crop"
            finally:
                backend.close()

        run_job(self._pool, "probe", probe, self._on_probe_finished, self._on_probe_failed)

    def _on_probe_finished(self, _job: object, message: str, _ms: float) -> None:
        self.test_button.setEnabled(True)
        self.test_result.setText(f"<span style='color:#15803d'>{html.escape(message)}</span>")
        self.connection_tested.emit(True, message)

    def _on_probe_failed(self, _job: object, exc: Exception) -> None:
        self.test_button.setEnabled(True)
        if isinstance(exc, NoteLassoError):
            message = exc.user_message + (f" {exc.hint}" if exc.hint else "")
        else:
            message = f"Unexpected error ({type(exc).__name__}). See the log for details."
        self.test_result.setText(f"<span style='color:#b91c1c'>{html.escape(message)}</span>")
        self.connection_tested.emit(False, message)
