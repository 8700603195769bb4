# NoteLasso: `make run` starts the app on the embedded CPU back end; `make test` runs the suite.
# Both set up what they need on a fresh Debian/Ubuntu machine (apt packages, virtual envs).

PYTHON   ?= python3
VENV     := .venv
PY       := $(VENV)/bin/python
PIP      := $(VENV)/bin/pip
TRITON_VENV := .venv-triton
SAMPLE   := resources/samples/clinical-note.pdf

# Qt's xcb platform plugin, fonts for rendering, the word lists the editor checks words against
# (desktop/core/lexicon.py; also the synthetic corpus's), Xvfb + ImageMagick for screenshots,
# Tesseract as the evaluation baseline.
APT_RUN  := libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
            libxcb-render-util0 libxcb-randr0 libxcb-shape0 libxcb-xinerama0 libegl1 libgl1 \
            libfontconfig1 libdbus-1-3 fonts-dejavu-core wamerican hunspell-en-med hunspell-en-us
APT_TEST := $(APT_RUN) xvfb imagemagick openssl tesseract-ocr tesseract-ocr-eng \
            fonts-urw-base35 fonts-liberation2 fonts-freefont-ttf fonts-noto-core fonts-courier-prime \
            fonts-gnutypewriter fonts-dkg-handwriting

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test apt-run apt-test apt-package triton-venv bench lint clean package

run: apt-run $(VENV)/.run
	$(PY) -m desktop $(SAMPLE)

# The suite, and the installed app: a test .deb (zstd: seconds to pack, where xz takes minutes) is built
# in the background while pytest runs the rest, then tests/packaging runs on it (NOTELASSO_DEB: a
# package missing there fails the run). Its build's output: packaging/build/test-package.log.
TEST_DEB_DIR := packaging/build/test-dist

test: apt-test apt-package $(VENV)/.test triton-venv lint
	@rm -rf $(TEST_DEB_DIR) && mkdir -p packaging/build
	@nice -n 10 $(PYTHON) packaging/build.py --python $(PYTHON) --compress zstd --dist $(TEST_DEB_DIR) \
	  > packaging/build/test-package.log 2>&1 & build=$$!; \
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest --ignore=tests/packaging; status=$$?; \
	if wait $$build; then tail -n 2 packaging/build/test-package.log; \
	else echo "test package build failed:"; tail -n 30 packaging/build/test-package.log; fi; \
	NOTELASSO_DEB=$$(echo $(CURDIR)/$(TEST_DEB_DIR)/notelasso_*_amd64.deb) QT_QPA_PLATFORM=offscreen \
	  $(PY) -m pytest tests/packaging || status=1; \
	exit $$status

# ruff and mypy come pinned from the `dev` extra; settings live in pyproject.toml.
lint: $(VENV)/.test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: $(VENV)/.run
	$(VENV)/bin/notelasso-ocr bench

# The installable app: a PyInstaller one-folder bundle in a .deb (dist/notelasso_VERSION_amd64.deb).
# Builds in its own venv under packaging/build/ (never .venv); docs/packaging.md, decision 016.
package: apt-package
	$(PYTHON) packaging/build.py --python $(PYTHON)

# Install only what is missing, so repeated runs cost nothing.
apt-run:
	@missing=$$(for p in $(APT_RUN); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; fi

apt-package:
	@missing=$$(for p in binutils dpkg icu-devtools gcc; do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; fi

apt-test:
	@missing=$$(for p in $(APT_TEST); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; fi

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e .
	touch $@

# torch (CPU build) and OpenCV, the `train` extra, only for build_engine/ and training/ tests and the
# OpenCV comparisons of tests/inference/test_imageops.py (the app needs neither).
$(VENV)/.test: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e '.[dev,train,triton,second]'
	touch $@ $(VENV)/.run

clean:
	rm -rf $(VENV) $(TRITON_VENV) .pytest_cache .mypy_cache .ruff_cache packaging/build

# A real Triton server for the `triton` tests: tritonserver 2.51 with the Python backend, as
# bundled in the nvidia-pytriton wheel; it needs numpy<2, hence its own venv.
triton-venv: $(TRITON_VENV)/.installed

$(TRITON_VENV)/.installed:
	$(PYTHON) -m venv $(TRITON_VENV)
	$(TRITON_VENV)/bin/pip install -q nvidia-pytriton 'numpy<2' onnxruntime
	touch $@
