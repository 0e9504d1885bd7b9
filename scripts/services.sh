#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on localhost: starts them when they are
# installed but stopped, and says what is missing otherwise.
set -uo pipefail
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}

pg_up() { pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null \
  || python3 -c "import socket; socket.create_connection(('$PGHOST', $PGPORT), 1)" 2>/dev/null; }
redis_up() { [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] \
  || python3 -c "
import socket; s = socket.create_connection(('$REDIS_HOST', $REDIS_PORT), 1)
s.sendall(b'PING\r\n'); assert s.recv(16).startswith(b'+PONG')" 2>/dev/null; }

wait_for() { # name check
  for _ in $(seq 1 30); do "$2" && return 0; sleep 1; done
  echo "$1 did not come up within 30 s" >&2; return 1
}

missing=0
if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "PostgreSQL is stopped: starting cluster $version/main" >&2
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    wait_for PostgreSQL pg_up || missing=1
  else
    echo "PostgreSQL is not running on $PGHOST:$PGPORT and is not installed here." >&2
    echo "  Install it (Debian/Ubuntu: apt-get install postgresql) or run 'make up' for the Docker stack." >&2
    missing=1
  fi
fi
if ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "Redis is stopped: starting redis-server on $REDIS_HOST:$REDIS_PORT" >&2
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
      --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    wait_for Redis redis_up || missing=1
  else
    echo "Redis is not running on $REDIS_HOST:$REDIS_PORT and is not installed here." >&2
    echo "  Install it (Debian/Ubuntu: apt-get install redis-server) or run 'make up' for the Docker stack." >&2
    missing=1
  fi
fi
exit $missing
