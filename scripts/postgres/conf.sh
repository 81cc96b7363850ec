# Shared by start.sh and stop.sh: where the private PostgreSQL cluster lives and how to run its
# binaries (Debian 12's postgresql-15, never the package's own cluster or service).
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PG_BIN=/usr/lib/postgresql/15/bin
PG_RUN="$ROOT/.run/postgres"
PG_DATA="$PG_RUN/data"
PG_PORT=${POSTGRES_PORT:-15432}
# the role and database tests and the demo use; each test file creates its own database beside it
PG_ROLE=${POSTGRES_ROLE:-dovetail}
PG_PASSWORD=${POSTGRES_PASSWORD:-dovetail}
PG_URL="postgres://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_ROLE"

# initdb and postgres refuse to run as root: as root, run them as the `postgres` system user
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_pid() { [ -f "$PG_DATA/postmaster.pid" ] && head -1 "$PG_DATA/postmaster.pid"; }
pg_running() { local pid; pid=$(pg_pid) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
