# Sourced by the Tryton scripts: the one trytond.conf they all use.
# write_trytond_conf DIR PORT [NAME] -> DIR/NAME.conf (default trytond.conf) serving the SQLite
# files in DIR/db on 127.0.0.1:PORT
write_trytond_conf() {
  cat > "$1/${3:-trytond}.conf" <<CONF
[database]
uri = sqlite://
path = $1/db

[web]
listen = 127.0.0.1:$2

[session]
timeout = 3600
CONF
}

# trytond_name PORT -> the file name of the server on PORT: trytond for the default port, else trytond-PORT
trytond_name() {
  if [ "$1" = 18000 ]; then echo trytond; else echo "trytond-$1"; fi
}
