# Almanac. `make help` lists the targets.
SHELL := /bin/bash
UV := scripts/uv.sh
COMPOSE := docker compose -f compose.dev.yml
# make demo: the demo's own database, and the port of its site.
DEMO_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/almanac_demo
DEMO_PORT ?= 8800

.DEFAULT_GOAL := help
.PHONY: help dev demo test test-faults lint bench migrate sources sync services env up down

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

dev: env sync services migrate sources ## Run api, worker, beat and Flower (Ctrl-C stops them all)
	@echo "Almanac: API http://127.0.0.1:8000 (docs /docs), Flower http://127.0.0.1:5555"
	@$(UV) run honcho start -f Procfile

demo: env sync services ## Almanac on a bundled demo site of six venues, in its own database (Ctrl-C stops it)
	@DATABASE_URL=$(DEMO_DATABASE_URL) DEMO_PORT=$(DEMO_PORT) $(UV) run python -m demo

test: sync services lint ## Run every test against the real PostgreSQL, Redis and processes
	$(UV) run pytest

test-faults: sync services ## The fault suite alone: hostile servers and requests, secrets (a few minutes)
	$(UV) run pytest -m faults tests/faults

lint: sync ## ruff and mypy
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy

bench: sync services ## Benchmark iCalendar ingestion: one JSON line per figure on stdout
	$(UV) run python -m bench

migrate: env sync services ## Create the database if missing and apply the migrations
	@$(UV) run almanac db wait
	@$(UV) run almanac db upgrade

sources: env sync ## Load the default sources from sources.yaml (idempotent)
	@$(UV) run almanac sources import sources.yaml

up: env ## The same stack in Docker (compose.dev.yml)
	$(COMPOSE) up --build

down: ## Stop the Docker stack
	$(COMPOSE) down

# Bytecode is compiled once here: processes start in half the time, even where
# PYTHONDONTWRITEBYTECODE keeps Python from caching it as it goes.
sync:
	@$(UV) sync --all-packages --locked --quiet --compile-bytecode
	@$(UV) run --no-sync python -m compileall -q apps packages > /dev/null

services:
	@scripts/services.sh

env:
	@[ -f .env ] || { cp .env.example .env; echo "Created .env from .env.example"; }
