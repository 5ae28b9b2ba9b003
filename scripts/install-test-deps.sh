#!/usr/bin/env bash
# Installs the Debian packages that pochta's tests drive (real clients and peers, never mocks).
# As root on Debian/Ubuntu it installs what is missing; otherwise it names the missing packages and fails.
# One list, used by `npm test` (through scripts/ensure.mjs) and by CI.
set -euo pipefail

PACKAGES=(
  swaks          # SMTP client (inbound, submission, relay battery)
  python3        # smtplib, imaplib, poplib
  curl           # smtp/imap/pop3 client
  openssl        # s_client for TLS checks
  msmtp          # submission client
  mutt           # IMAP client
  isync          # mbsync
  fetchmail      # POP3 client
  getmail6       # POP3 client
  tmux           # drives interactive clients (mutt)
  postfix        # smtp-source / smtp-sink for benchmarks and as a peer MTA
  procps         # pgrep/pkill in tests
  slapd          # OpenLDAP server: tests start their own on loopback (test/helpers/slapd.ts)
  ldap-utils     # ldapsearch/ldapadd for debugging the LDAP directory tests
  passwd         # useradd/userdel/chpasswd for the system-directory tests
  gcc            # builds the yescrypt addon (src/directory/native/build-xcrypt.sh)
  libcrypt-dev   # libxcrypt headers for that addon
  spamassassin   # spam filter engine: tests start their own spamd on loopback (test/protocol/antispam)
  spamd          # SpamAssassin's daemon (spamc protocol)
  rspamd         # spam filter: tests start their own on loopback with the fake DNS (test/protocol/antispam)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "pochta: the tests need these Debian packages: ${missing[*]}" >&2
  echo "pochta: install them with: sudo apt-get install -y ${missing[*]}   (or run npm test as root)" >&2
  exit 1
fi

echo "pochta: installing test packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix must not configure or start a system MTA: tests run their own servers on loopback only.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
# slapd likewise: no database is configured by the package (tests load their own tree with slapadd).
echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
# A package may have started its system service (slapd's init script): tests start their own on loopback.
if [[ " ${missing[*]} " == *" slapd "* ]] && command -v service >/dev/null 2>&1; then
  service slapd stop >/dev/null 2>&1 || true
  command -v update-rc.d >/dev/null 2>&1 && update-rc.d slapd disable >/dev/null 2>&1 || true
fi
