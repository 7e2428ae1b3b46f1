# Rencai: `make demo` serves the platform with Quzhou demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := src/rencai/static/vendor
PORT ?= 8000

.PHONY: setup demo serve test test-fast lint lock bench-registry system-deps assets messages clean

# Exactly the versions and files in requirements.lock (runtime + dev, every file hash-checked), then
# rencai itself without resolving anything again.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# Re-resolve requirements.lock after a change to pyproject.toml's dependencies; versions already locked
# are kept while they still fit. `make lock LOCK_ARGS=--upgrade` takes the newest releases instead.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version 3.11 --extra dev \
	  --custom-compile-command 'make lock' $(LOCK_ARGS) pyproject.toml -o requirements.lock

$(VENDOR)/.copied: package.json
	npm install --no-audit --no-fund --silent
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/echarts/dist/echarts.min.js $(VENDOR)/
	touch $(VENDOR)/.copied

assets: $(VENDOR)/.copied

messages: $(STAMP)
	$(BIN)/python src/rencai/locale/build.py

setup: $(STAMP) assets messages
	$(BIN)/rencai migrate --verbosity 0
	$(BIN)/rencai collectstatic --noinput --verbosity 0

# Debian's Chromium for the browser tests (installed only when missing; needs root, as on CI).
system-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "Chromium is missing: run 'sudo apt-get install chromium fonts-noto-cjk'"; exit 1; fi; \
	fi

demo: setup
	$(BIN)/rencai demo
	$(BIN)/rencai demo_policies
	$(BIN)/rencai demo_evaluation
	$(BIN)/rencai demo_recruitment
	$(BIN)/rencai match
	$(BIN)/rencai demo_services
	$(BIN)/rencai offers
	$(BIN)/rencai demo_analytics
	$(BIN)/rencai demo_worklists
	$(BIN)/rencai demo_targets
	$(BIN)/rencai serve --port $(PORT)

serve: setup
	$(BIN)/rencai serve --port $(PORT)

test: system-deps $(STAMP) assets messages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench-registry: setup
	$(BIN)/python bench/registry.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var test-results
