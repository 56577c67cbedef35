#!/usr/bin/env bash
# Install (from Debian's packages, when missing) and start the services the test suite talks
# to for real: PostgreSQL on 5432, Redis on 6379, RabbitMQ with STOMP on 61613. ActiveMQ,
# Chromium and monitoring-plugins are installed but not started: the tests that need them
# start their own private instances. Every service listens on loopback only.
#
#   scripts/services.sh          install what is missing, start, wait for the ports
#
# Exits non-zero, saying which, when a service does not come up: CI must fail loudly.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"

log() { printf '\n=== %s\n' "$*"; }
port_open() { (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  local port=$1 seconds=${2:-90}
  for _ in $(seq 1 "$seconds"); do port_open "$port" && return 0; sleep 1; done
  echo "ERROR: nothing listens on 127.0.0.1:$port after ${seconds}s" >&2
  return 1
}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_missing() {
  local missing=()
  command -v pg_ctlcluster >/dev/null && [ -d /usr/lib/postgresql ] && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 \
    || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v rabbitmq-server >/dev/null || missing+=(rabbitmq-server)
  [ -d /usr/share/activemq ] || missing+=(activemq)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  [ -x /usr/lib/nagios/plugins/check_dummy ] || missing+=(monitoring-plugins)
  command -v openssl >/dev/null || missing+=(openssl)
  # scripts/elasticsearch.sh: Maven fetches the server, which runs on a JDK 17.
  command -v mvn >/dev/null || missing+=(maven)
  command -v unzip >/dev/null || missing+=(unzip)
  [ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ] || missing+=(openjdk-17-jdk-headless)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}"
  fi
}

start_postgresql() {
  port_open 5432 && return 0
  log "starting PostgreSQL"
  local version
  version=$(ls /etc/postgresql | sort -V | tail -1)
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  # The test cluster trusts loopback, so `psql -h 127.0.0.1 -U postgres` and
  # DATABASE_URL=postgres://postgres@127.0.0.1/vacmon need no password. Loopback only.
  if ! grep -q '^# vacmon-tests' "$hba"; then
    as_root sed -i '1i # vacmon-tests: trust loopback\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_port 5432
}

start_redis() {
  port_open 6379 && return 0
  log "starting Redis"
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/vacmon-tests.log
  wait_port 6379
}

start_rabbitmq() {
  if ! port_open 5672; then
    log "starting RabbitMQ"
    # The STOMP plugin is enabled offline first, so the node starts with it.
    as_root rabbitmq-plugins --offline enable rabbitmq_stomp >/dev/null
    as_root env RABBITMQ_CONFIG_FILE="$HERE/rabbitmq-tests.conf" rabbitmq-server -detached
    wait_port 5672 120
  fi
  if ! port_open 61613; then
    log "enabling RabbitMQ STOMP"
    as_root rabbitmq-plugins enable rabbitmq_stomp >/dev/null
  fi
  wait_port 61613 60
}

install_missing
start_postgresql
start_redis
start_rabbitmq
log "services up: PostgreSQL 5432, Redis 6379, RabbitMQ 5672 + STOMP 61613"
