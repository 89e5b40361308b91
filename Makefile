# Two commands set up a fresh machine: `make demo` and `make test`.
VENV := .venv
PYTHON := $(VENV)/bin/python
UV := $(VENV)/bin/uv
DEMO_ENV := env -u DATABASE_URL -u REDIS_URL DEBUG=1

.PHONY: demo test lint check-deploy venv worker clean

venv: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check "uv>=0.5"
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --quiet
	touch $@

demo: venv
	mkdir -p var
	$(DEMO_ENV) $(PYTHON) manage.py migrate --noinput
	$(DEMO_ENV) $(PYTHON) manage.py seed_demo
	@echo ""
	@echo "  API docs (Swagger UI): http://127.0.0.1:8000/api/docs/"
	@echo "  Admin:                 http://127.0.0.1:8000/admin/"
	@echo "  Health:                http://127.0.0.1:8000/api/health/"
	@echo "  Log in with POST /api/auth/login/ using the login above, then Authorize with the access token."
	@echo ""
	$(DEMO_ENV) $(PYTHON) manage.py runserver 127.0.0.1:8000

# The whole suite. With DATABASE_URL and REDIS_URL set it runs on PostgreSQL with real Celery workers.
test: venv lint check-deploy
	TESTING=1 $(PYTHON) manage.py makemigrations --check --dry-run
	$(PYTHON) -m pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check-deploy: venv
	env -u DEBUG DJANGO_SECRET_KEY=check-deploy-$$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n') \
		ALLOWED_HOSTS=smartmarket.example.com $(PYTHON) manage.py check --deploy --fail-level WARNING

worker: venv
	$(VENV)/bin/celery -A project worker --loglevel=INFO

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
