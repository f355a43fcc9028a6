#!/usr/bin/env bash
# Runs every test against real servers: each test run starts its own private RabbitMQ and
# PostgreSQL from the OS packages; the live page is tested in Debian's headless Chromium, the
# generated Compose file by docker-compose, the Node bus consumer with its npm packages, and the
# README's calls with curl, jq and buf curl (tests/tools, standing in for grpcurl) — all installed
# first when missing. One test project at a time (-m:1): the chaos suite times how fast
# delivery comes back after each fault, which another suite on the same cores would distort.
# Arguments go to dotnet test.
set -euo pipefail
cd "$(dirname "$0")"

scripts/ensure-os-packages rabbitmq-server postgresql chromium docker-compose nodejs curl jq
dotnet tool restore >/dev/null
npm ci --prefix clients/node --no-audit --no-fund --silent
npm ci --prefix tests/tools --no-audit --no-fund --silent
dotnet test Polyglot.sln -m:1 "$@"
