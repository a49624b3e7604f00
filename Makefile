# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.9
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2

.PHONY: run test deps install translations lock migrate demo clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# the committed lock file is what gets installed; pyproject.toml keeps the ranges
$(VENV)/.installed: requirements/dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements/dev.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d gateway/translations >/dev/null

# system packages the test suite needs: a PostgreSQL server (the harness starts its own),
# Debian's Chromium for the browser tests (never a browser downloaded by Playwright), and a CJK
# font so that screenshots of Chinese pages are legible
SYSTEM_PACKAGES := postgresql chromium fonts-wqy-zenhei
deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	[ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || missing="$$missing fonts-wqy-zenhei"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
	  echo "installing from Debian's packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "missing system packages:$$missing (sudo apt-get install$$missing)"; exit 1; fi

instance/secret_key:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(48))" > $@
	chmod 600 $@

migrate: install instance/secret_key
	$(BIN)/flask --app wsgi db upgrade

demo: migrate
	$(BIN)/flask --app wsgi demo load

# plain HTTP on loopback for a local try-out, so the session cookie may not insist on HTTPS;
# gunicorn.conf.py keeps query strings (and any token in them) out of the access log
run: demo
	@echo "Serving on http://$(HOST):$(PORT)  (API docs: http://$(HOST):$(PORT)/api/docs)"
	GATEWAY_SESSION_COOKIE_SECURE=false $(BIN)/gunicorn -c gunicorn.conf.py --workers $(WORKERS) \
	  --bind $(HOST):$(PORT) --access-logfile - wsgi:app

test: deps install
	$(BIN)/python -m pytest

lock: | $(BIN)/python
	$(BIN)/uv pip compile --quiet --python $(BIN)/python pyproject.toml --extra dev -o requirements/dev.txt
	$(BIN)/uv pip compile --quiet --python $(BIN)/python pyproject.toml -o requirements/run.txt

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

# after changing user-facing text: extract, merge into the catalogues, then translate the new entries
messages: | $(BIN)/python
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o gateway/translations/messages.pot .
	$(BIN)/pybabel update -i gateway/translations/messages.pot -d gateway/translations
