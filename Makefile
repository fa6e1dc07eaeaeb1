# shardgate — developer entry points. CMake does the building; this file
# only strings the steps together.
#
#   make            build build/shardgate (RelWithDebInfo)
#   make deps       install missing Debian packages (apt only if something is missing)
#   make test       ASan+UBSan build in build-test/, then every unit and integration test
#   make demo       start the local demo (scripts/demo.sh); make demo-stop ends it
#   make bench      pgbench through shardgate and pgbouncer (bench/pgbench.sh)
#   make bench-fanout  scatter-gather vs an unsharded server; 3M-row streaming memory
#   make format     clang-format every C file
#   make clean      remove the build directories

SHELL := /bin/bash
BUILD_DIR ?= build
TEST_BUILD_DIR ?= build-test
JOBS ?= 2

DEB_PACKAGES := build-essential cmake pkg-config libuv1-dev libyaml-dev libpq-dev libssl-dev \
	libcmocka-dev libpg-query-dev libprotobuf-c-dev postgresql-15 postgresql-client-15 \
	pgbouncer python3 golang-go golang-github-jackc-pgconn-dev golang-github-jackc-pgx-v4-dev \
	golang-github-lib-pq-dev golang-github-jackc-pgmock-dev golang-github-masterminds-semver-dev \
	python3-psycopg2 python3-psycopg python3-asyncpg default-jdk-headless libpostgresql-jdbc-java
FORMAT_DIRS := proxy router config sql tests

.PHONY: all deps test demo demo-stop bench bench-fanout format clean

all: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD_DIR) -j$(JOBS)

# apt is touched only when a package is actually missing, so `make` works
# offline on a machine that already has everything.
deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q '^install ok installed$$' \
	    || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" -ne 0 ]; then \
	  echo "missing Debian packages:$$missing" >&2; \
	  echo "install them with: sudo apt-get install --no-install-recommends$$missing" >&2; \
	  exit 1; \
	fi; \
	echo "installing missing packages:$$missing"; \
	apt-get update && \
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing

test: deps
	cmake -S . -B $(TEST_BUILD_DIR) -DSG_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(TEST_BUILD_DIR) -j$(JOBS)
	cd $(TEST_BUILD_DIR) && ctest --output-on-failure -j1

demo: all
	scripts/demo.sh

demo-stop:
	scripts/demo-stop.sh

bench: all
	bench/pgbench.sh

bench-fanout: all
	bench/fanout.sh
	bench/fanout_stream.sh

format:
	@dirs=""; for d in $(FORMAT_DIRS); do [ -d "$$d" ] && dirs="$$dirs $$d"; done; \
	find $$dirs -type f \( -name '*.c' -o -name '*.h' \) -print0 | xargs -0 -r clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(TEST_BUILD_DIR)
