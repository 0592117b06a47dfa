# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8080
DEMO_DIR ?= .vigila/demo

.PHONY: demo test bench lint clean chromium screenshots

$(BIN)/vigila: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-deps: $(BIN)/vigila pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/vigila  ## Start the embedded server with simulated fabric traffic.
	$(BIN)/vigila serve --data-dir $(DEMO_DIR) --port $(PORT) --simulate fabric --rate 50 \
		--faults random:20

test: $(VENV)/.test-deps chromium  ## Lint and run the whole test suite.
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest

chromium:  ## Debian's Chromium for the browser tests (tests/web), installed when missing.
	@command -v chromium >/dev/null || { \
		sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$sudo apt-get update && $$sudo apt-get install -y --no-install-recommends chromium; }

screenshots: $(VENV)/.test-deps chromium  ## Regenerate docs/screenshots/ (runs a server a few minutes).
	$(BIN)/python -m tests.web.screenshots --out docs/screenshots

bench: $(BIN)/vigila  ## Run every benchmark; each prints one JSON line.
	@for f in bench/*.py; do echo "# $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .vigila build *.egg-info
