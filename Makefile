# Two commands set up a machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# No SECRET_KEY here: `make secret-key` (run by `make db` and `make run`) writes a random one
# into instance/secret_key, which the app uses when COMPLAINTS_SECRET_KEY is not set.
PORT   ?= 5000
export COMPLAINTS_PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
# The instance folder (the SQLite file, the generated SECRET_KEY, the mail sink's emails,
# attachments) is instance/ beside this Makefile for every target that runs the app.
APP    := COMPLAINTS_INSTANCE_PATH=$${COMPLAINTS_INSTANCE_PATH:-$(CURDIR)/instance} $(BIN)/bpmn-complaints

.PHONY: run test lint venv upgrade-deps browser-deps mail-deps secret-key db demo-data bench clean

# constraints.txt pins every package to the version the suite was last run with.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test,dev]"
	touch $(STAMP)

venv: $(STAMP)

# Re-pin constraints.txt to the newest versions pyproject.toml allows (asks PyPI), then
# reinstall. Run the tests before committing the new pins.
upgrade-deps:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile --quiet --upgrade pyproject.toml --extra test --extra server --extra dev \
	  --python-version 3.11 --custom-compile-command "make upgrade-deps" -o constraints.txt
	$(MAKE) venv

# bpmn-js for the diagram pages and the editor bundle (esbuild into web/build), Debian's chromium for the browser tests, and Pango for
# WeasyPrint's PDF letters. Best effort: without them the tests that need them skip and say why.
browser-deps:
	@if [ -f web/package.json ] && command -v npm >/dev/null; then \
	  (cd web && npm install --no-audit --no-fund --loglevel=error && node build.mjs) \
	  || echo "npm install or the editor build failed; diagram and editor tests will skip"; fi
	@if ! [ -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium could not be installed; browser tests will skip"; fi
	@if ! ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 \
	   fonts-dejavu-core >/dev/null) || echo "Pango could not be installed; PDF letters and their tests will not work"; fi

# Debian's dovecot-imapd, the real IMAP server the `mail-in --imap` tests start on loopback.
# Best effort: without it those tests skip and say why. policy-rc.d keeps the package from
# starting the system's own dovecot.
mail-deps:
	@if ! [ -x /usr/sbin/dovecot ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq dovecot-imapd >/dev/null) \
	  || echo "dovecot-imapd could not be installed; the IMAP tests will skip"; fi

# A random SECRET_KEY in instance/secret_key, made once and reused by every later run.
secret-key: venv
	$(APP) secret-key

db: venv secret-key
	$(APP) init-db
	$(APP) deploy processes/

demo-data: db
	$(APP) demo

# The web server, a worker (timers, retries, email) and a mail sink that keeps every email
# the product sends in instance/mail/. PORT=8000 make run serves elsewhere; to send real
# email, run `bpmn-complaints run --no-mail-sink` with COMPLAINTS_SMTP_HOST and friends set.
run: demo-data browser-deps
	$(APP) run --host 127.0.0.1 --port $(PORT)

# The suite runs on every core (pytest-xdist; TEST_WORKERS=0 runs it in one process). Each
# worker gets its own PostgreSQL database beside COMPLAINTS_TEST_DATABASE_URL's (tests/conftest.py).
TEST_WORKERS ?= auto
test: venv browser-deps mail-deps
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

# ruff (style, imports, likely bugs) over the tree and mypy over src/; pyproject.toml
# configures both, strict for engine/, handlers/, expressions/ and worker/.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy src

# bench/timers.py also needs PostgreSQL: COMPLAINTS_BENCH_DATABASE_URL names a database
# whose public schema it may drop (default: complaints_bench on 127.0.0.1, created when missing).
bench: venv
	$(BIN)/python bench/lifecycle.py
	$(BIN)/python bench/timers.py
	$(BIN)/python bench/inbox.py
	$(BIN)/python bench/inbox.py --pg

clean:
	rm -rf $(VENV) instance src/instance web/node_modules web/build
