# Vigil: `make run` builds and starts Vigil on the embedded SQLite database; `make test` runs
# every test. Both install what they need when it is missing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO_LEPTOS_VERSION := 0.3.10
NEXTEST_VERSION := 0.9.143
BINARYEN_VERSION := 132
SCHEMATHESIS_VERSION := 4.32.5
AIOSMTPD_VERSION := 1.4.6
# Chart.js, which the hydrated dashboard draws its charts with: npm's UMD build, copied into the
# site's assets at build time and served by Vigil itself (never fetched by the browser elsewhere).
CHARTJS_VERSION := 4.6.2
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"/\1/p;}' Cargo.lock)

# Helper tools that live outside the repository (npm's wasm-opt); kept between runs.
TOOLS_DIR ?= $(HOME)/.cache/vigil/tools
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
export PATH := $(TOOLS_DIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
SCHEMATHESIS_VENV := $(TOOLS_DIR)/schemathesis-$(SCHEMATHESIS_VERSION)
# The SMTP server the notification tests send e-mail to.
AIOSMTPD_VENV := $(TOOLS_DIR)/aiosmtpd-$(AIOSMTPD_VERSION)

# MariaDB for the integration tests. `make mariadb` creates the user, which may create and drop
# the databases named vigil_test*, one per test.
MARIADB_TEST_USER ?= vigil_test
MARIADB_TEST_PASSWORD ?= vigil_test
MARIADB_TEST_URL ?= mysql://$(MARIADB_TEST_USER):$(MARIADB_TEST_PASSWORD)@127.0.0.1:3306
MARIADB_TEST_DB ?= vigil_test

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run build nextest test test-unit test-e2e test-api bench wasm-size lint fmt tools rust-tools wasm-opt chartjs node e2e-deps chromium mariadb schemathesis aiosmtpd poppler python-venv clean-data

help:
	@echo "make run    build (release) and start Vigil on SQLite: http://127.0.0.1:3000, data in ./data"
	@echo "make test   every test: unit, integration on SQLite and MariaDB, end-to-end in Chromium,"
	@echo "            and Schemathesis against the live API"
	@echo "make bench  the benchmarks"
	@echo "make wasm-size  build the release browser bundle and print its raw and gzip sizes"
	@echo "make lint   rustfmt and clippy, warnings as errors"

## ---- running -------------------------------------------------------------------------------

build: tools chartjs
	cargo leptos build --release

run: build
	VIGIL_SITE_ROOT="$(CURDIR)/target/site" "$(TARGET_DIR)/release/vigil" serve

## ---- testing -------------------------------------------------------------------------------

test: tools nextest chromium mariadb e2e-deps schemathesis aiosmtpd poppler
	VIGIL_TEST_MYSQL_URL="$(MARIADB_TEST_URL)" VIGIL_TEST_AIOSMTPD="$(AIOSMTPD_VENV)/bin/python" \
		cargo nextest run --workspace --exclude frontend
	$(MAKE) --no-print-directory test-e2e
	$(MAKE) --no-print-directory test-api

# The frontend is left out: its `hydrate` feature would be unified into the
# server's leptos build. cargo-leptos builds it for the browser instead.
test-unit: nextest aiosmtpd poppler
	VIGIL_TEST_AIOSMTPD="$(AIOSMTPD_VENV)/bin/python" cargo nextest run --workspace --exclude frontend

test-e2e: tools chartjs chromium e2e-deps
	cargo leptos build
	cd end2end && VIGIL_E2E_BIN="$(TARGET_DIR)/debug/vigil" VIGIL_E2E_SITE_ROOT="$(CURDIR)/target/site" \
		node --test tests/

# Schemathesis generates requests for every operation of the live OpenAPI document and checks
# that no answer is a server error and every answer matches the document.
test-api: tools chartjs schemathesis
	cargo leptos build
	VIGIL_API_BIN="$(TARGET_DIR)/debug/vigil" SCHEMATHESIS="$(SCHEMATHESIS_VENV)/bin/schemathesis" \
		end2end/api/run.sh

# The ingest benchmark compares with sqlite3's `.import` and MariaDB's `LOAD DATA LOCAL INFILE`
# and runs with detection off and on; the detection benchmark times the engine alone, its
# memory with a million distinct keys, and line-to-alert latency through a real `vigil serve`;
# the report benchmark times a summary and an event export over a million stored events.
bench: mariadb
	@command -v sqlite3 >/dev/null \
		|| { $(SUDO) apt-get update && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y sqlite3; }
	VIGIL_BENCH_MYSQL_URL="$(MARIADB_TEST_URL)" cargo bench -p server --bench ingest
	VIGIL_BENCH_MYSQL_URL="$(MARIADB_TEST_URL)" cargo bench -p server --bench notify_latency
	VIGIL_BENCH_MYSQL_URL="$(MARIADB_TEST_URL)" cargo bench -p server --bench backtest
	VIGIL_BENCH_MYSQL_URL="$(MARIADB_TEST_URL)" cargo bench -p server --bench dashboard
	VIGIL_BENCH_MYSQL_URL="$(MARIADB_TEST_URL)" cargo bench -p server --bench reports
	cargo bench -p server --bench detect
	cargo bench -p server --bench sigma

# The release browser bundle as cargo-leptos builds it, without building the server.
# WASM_SIZE_TOP=25 also lists the largest items (twiggy); WASM_GZIP_BUDGET=<bytes> fails above it.
wasm-size: tools
	end2end/wasm-size.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

fmt:
	cargo fmt --all

clean-data:
	rm -rf data

## ---- installing what is missing -------------------------------------------------------------

tools: rust-tools wasm-opt

rust-tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown \
		|| rustup target add wasm32-unknown-unknown
	@cargo leptos --version 2>/dev/null | grep -q "$(CARGO_LEPTOS_VERSION)" \
		|| cargo install cargo-leptos --locked --version $(CARGO_LEPTOS_VERSION)
	@# Not --locked: the CLI's own lock file names a crate version the registry no longer has.
	@wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)" \
		|| cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)

# The test runner: every test in a process of its own, so one test's database pool,
# background tasks or threads never outlive it into the next.
nextest:
	@cargo nextest --version 2>/dev/null | grep -q "$(NEXTEST_VERSION)" \
		|| cargo install cargo-nextest --locked --version $(NEXTEST_VERSION)

# Debian's binaryen produces release builds that fail to hydrate; npm's works.
wasm-opt: node
	@[ -x "$(TOOLS_DIR)/node_modules/.bin/wasm-opt" ] \
		|| npm install --prefix "$(TOOLS_DIR)" --no-audit --no-fund binaryen@$(BINARYEN_VERSION)

# Chart.js from npm, pinned, into the assets directory (`public/vendor/chart.js/`, not in git)
# with its licence, so cargo-leptos copies both into the site.
CHARTJS_NPM := $(TOOLS_DIR)/chart.js-$(CHARTJS_VERSION)
CHARTJS_SITE := public/vendor/chart.js
chartjs: node
	@[ -f "$(CHARTJS_NPM)/node_modules/chart.js/dist/chart.umd.min.js" ] \
		|| npm install --prefix "$(CHARTJS_NPM)" --no-audit --no-fund --no-save chart.js@$(CHARTJS_VERSION)
	@mkdir -p $(CHARTJS_SITE)
	@cp "$(CHARTJS_NPM)/node_modules/chart.js/dist/chart.umd.min.js" "$(CHARTJS_NPM)/node_modules/chart.js/LICENSE.md" $(CHARTJS_SITE)/

node:
	@command -v npm >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y nodejs npm; }

e2e-deps: node
	@[ -d end2end/node_modules/playwright-core ] \
		|| (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)

# Schemathesis from PyPI in a virtual environment of its own, pinned.
schemathesis: python-venv
	@"$(SCHEMATHESIS_VENV)/bin/schemathesis" --version 2>/dev/null | grep -q "$(SCHEMATHESIS_VERSION)" \
		|| { rm -rf "$(SCHEMATHESIS_VENV)" && python3 -m venv "$(SCHEMATHESIS_VENV)" \
			&& "$(SCHEMATHESIS_VENV)/bin/pip" install --quiet --disable-pip-version-check \
				schemathesis==$(SCHEMATHESIS_VERSION); }

# aiosmtpd from PyPI in a virtual environment of its own, pinned; the tests start
# `$(AIOSMTPD_VENV)/bin/python -m aiosmtpd` (found through VIGIL_TEST_AIOSMTPD).
aiosmtpd: python-venv
	@"$(AIOSMTPD_VENV)/bin/python" -c 'import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != "$(AIOSMTPD_VERSION)")' 2>/dev/null \
		|| { rm -rf "$(AIOSMTPD_VENV)" && python3 -m venv "$(AIOSMTPD_VENV)" \
			&& "$(AIOSMTPD_VENV)/bin/pip" install --quiet --disable-pip-version-check \
				aiosmtpd==$(AIOSMTPD_VERSION); }

# Debian splits venv (and the pip it bootstraps) out of python3.
python-venv:
	@command -v python3 >/dev/null && python3 -c 'import ensurepip, venv' 2>/dev/null \
		|| { $(SUDO) apt-get update && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y python3 python3-venv; }

# pdftotext and pdftoppm, which the PDF report tests read reports back with.
poppler:
	@command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null \
		|| { $(SUDO) apt-get update && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y poppler-utils; }

chromium:
	@command -v chromium >/dev/null \
		|| { $(SUDO) apt-get update && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

mariadb:
	@if ! mariadb-admin ping >/dev/null 2>&1; then \
		if [ ! -x /usr/sbin/mariadbd ]; then \
			$(SUDO) apt-get update && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y mariadb-server; \
		fi; \
		$(SUDO) mkdir -p /run/mysqld && $(SUDO) chown mysql:mysql /run/mysqld; \
		$(SUDO) start-stop-daemon --start --oknodo --background --chuid mysql \
			--exec /usr/sbin/mariadbd -- --user=mysql; \
		for i in $$(seq 60); do mariadb-admin ping >/dev/null 2>&1 && break; sleep 1; done; \
		mariadb-admin ping >/dev/null 2>&1 || { echo "error: MariaDB did not start; the integration tests need it" >&2; exit 1; }; \
	fi
	@# As the system's root over the socket: a fresh Debian install lets root in only that way.
	@$(SUDO) mariadb -u root -e "\
		CREATE DATABASE IF NOT EXISTS $(MARIADB_TEST_DB); \
		CREATE USER IF NOT EXISTS '$(MARIADB_TEST_USER)'@'localhost' IDENTIFIED BY '$(MARIADB_TEST_PASSWORD)'; \
		CREATE USER IF NOT EXISTS '$(MARIADB_TEST_USER)'@'127.0.0.1' IDENTIFIED BY '$(MARIADB_TEST_PASSWORD)'; \
		GRANT ALL PRIVILEGES ON \`vigil\\_test%\`.* TO '$(MARIADB_TEST_USER)'@'localhost'; \
		GRANT ALL PRIVILEGES ON \`vigil\\_test%\`.* TO '$(MARIADB_TEST_USER)'@'127.0.0.1';" \
		|| { echo "error: cannot prepare the MariaDB test user and database" >&2; exit 1; }
