# Two commands do all set-up on a fresh Linux machine with Python >= 3.11, pip and make:
#   make demo   runs the main job (the demo scenario)
#   make test   runs the whole test suite
# uv is installed into .tools/ (no root, nothing global); the project venv is .venv/, with the
# extras the demo and tests need (demo: aiosmtpd, postgres: psycopg) and the dev group.

PYTHON ?= python3
UV := .tools/bin/uv
UV_VERSION := 0.13.9

.PHONY: demo test lint bench bench-smoke clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --all-extras --quiet --compile-bytecode
	touch $@

demo: .venv/.synced
	$(UV) run --frozen followup demo

test: .venv/.synced
	$(UV) run --frozen pytest -n auto --dist loadscope --no-loadscope-reorder

lint: .venv/.synced
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy
	$(UV) run --frozen lint-imports

BENCHES = sweep dispatch flows web reports drafting desk scaleout bigmeeting waiting
BENCH_JSON ?= bench-results.jsonl

# Every benchmark at full size; each figure with its baseline and ratio, kept in $(BENCH_JSON).
bench: .venv/.synced
	rm -f $(BENCH_JSON)
	set -e; for b in $(BENCHES); do $(UV) run --frozen python -m bench.$$b --json $(BENCH_JSON); done
	$(UV) run --frozen python -m bench.summary $(BENCH_JSON)

# The same at a size that takes seconds: CI runs it so that a benchmark cannot rot.
bench-smoke: .venv/.synced
	rm -f $(BENCH_JSON)
	set -e; for b in $(BENCHES); do $(UV) run --frozen python -m bench.$$b --smoke --json $(BENCH_JSON); done
	$(UV) run --frozen python -m bench.summary $(BENCH_JSON)

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache
