#!/usr/bin/env bash
# Install the Debian packages the real-systems harness needs, when missing (fresh Debian 12).
# Usage: scripts/tryton/packages.sh [extra packages…]   (sourced or run; idempotent, apt-get update once)
set -euo pipefail
TRYTON_PACKAGES=(tryton-server tryton-modules-sale tryton-modules-stock tryton-modules-purchase
  tryton-modules-account-invoice tryton-modules-sale-shipment-cost tryton-modules-carrier
  tryton-modules-sale-payment tryton-modules-account-payment tryton-modules-sale-amendment
  tryton-modules-product-measurements tryton-modules-commission tryton-modules-product-attribute
  tryton-modules-product-price-list tryton-modules-sale-price-list)
wanted=("${TRYTON_PACKAGES[@]}" "$@")
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  # No recommends: otherwise about 400 packages, LibreOffice included.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
