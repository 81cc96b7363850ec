# Sourced by the Tryton scripts: the one trytond.conf they all use.
# write_trytond_conf DIR PORT -> DIR/trytond.conf serving the SQLite files in DIR/db on 127.0.0.1:PORT
write_trytond_conf() {
  cat > "$1/trytond.conf" <<CONF
[database]
uri = sqlite://
path = $1/db

[web]
listen = 127.0.0.1:$2

[session]
timeout = 3600
CONF
}
