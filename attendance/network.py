"""Which addresses the server may connect to for a fingerprint machine.

Registering a device makes the server open a connection to its host and port, so an unchecked host would let
anyone who may register one (kecamatan staff) point the server at any machine on the internet or at the
server itself. A device host is allowed only when every IPv4 address it resolves to is allowed:

- the private ranges desa offices and their VPNs use: 10/8, 172.16/12, 192.168/16 (RFC 1918) and 100.64/10
  (carrier-grade NAT, how many desa links reach the kecamatan);
- loopback (127/8) only when ``ATTENDANCE_ALLOW_LOOPBACK`` is on (the emulated demo fleet and the tests);
- an address or CIDR listed in ``ATTENDANCE_ALLOWED_HOSTS`` (e.g. a desa's public IP with port forwarding);
- a host *name* listed there may resolve to any public address, but never to loopback, link-local (the
  cloud metadata address 169.254.169.254 lives there), "this host" (0.0.0.0) or multicast, unless a listed
  CIDR covers that address.

The check runs when a device is saved and again right before every connection, and the connection goes to
the very address that was checked (pyzk is handed the IP, never the name): a name that resolves to a
private address at validation and to something else later (DNS rebinding) is refused at connect time.
pyzk speaks IPv4 only, so only IPv4 addresses are considered."""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.env import env_bool, env_list

log = logging.getLogger(__name__)

PRIVATE_NETWORKS = tuple(
    ipaddress.IPv4Network(cidr) for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)
LOOPBACK_NETWORK = ipaddress.IPv4Network("127.0.0.0/8")


class HostNotAllowed(Exception):
    """The device's host is not an address the server may connect to (the message is for the user)."""


def loopback_allowed() -> bool:
    """``ATTENDANCE_ALLOW_LOOPBACK``: off by default (a production server never connects to itself), on with
    DEBUG and for `make run`, whose demo machines are emulators on 127.0.0.1."""
    value = getattr(settings, "ATTENDANCE_ALLOW_LOOPBACK", None)
    if value is None:  # not (yet) in portal/settings.py: the same variable, read the same way
        value = env_bool("ATTENDANCE_ALLOW_LOOPBACK", settings.DEBUG)
    return bool(value)


def _allow_list() -> tuple[list[ipaddress.IPv4Network], set[str]]:
    """``ATTENDANCE_ALLOWED_HOSTS`` split into networks (addresses, CIDRs) and host names."""
    raw = getattr(settings, "ATTENDANCE_ALLOWED_HOSTS", None)
    if raw is None:
        raw = env_list("ATTENDANCE_ALLOWED_HOSTS", [])
    if isinstance(raw, str):
        raw = raw.split(",")
    networks: list[ipaddress.IPv4Network] = []
    names: set[str] = set()
    for item in (str(entry).strip() for entry in raw):
        if not item:
            continue
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError:
            names.add(_normal_name(item))
            continue
        if isinstance(network, ipaddress.IPv4Network):
            networks.append(network)
    return networks, names


def _normal_name(host: str) -> str:
    return host.strip().rstrip(".").lower()


def address_allowed(
    address: ipaddress.IPv4Address, *, listed_name: bool = False, networks: Iterable[ipaddress.IPv4Network] = ()
) -> bool:
    if any(address in network for network in networks):
        return True  # an administrator listed it by address: their decision, whatever the range
    if address in LOOPBACK_NETWORK:
        return loopback_allowed()
    if any(address in network for network in PRIVATE_NETWORKS):
        return True
    return listed_name and address.is_global


def resolve(host: str) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses of ``host`` (a literal address resolves to itself). Raises ``HostNotAllowed`` when
    it resolves to none."""
    try:
        infos = socket.getaddrinfo(host, None, family=socket.AF_INET, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        log.info("device host %r does not resolve: %s", host, exc)
        raise HostNotAllowed(_("Alamat mesin “%(host)s” tidak ditemukan (nama host tidak dikenal).") % {"host": host})
    addresses = []
    for info in infos:
        address = ipaddress.IPv4Address(info[4][0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise HostNotAllowed(_("Alamat mesin “%(host)s” tidak ditemukan (nama host tidak dikenal).") % {"host": host})
    return addresses


def host_check(host: str) -> str:
    """The address to connect to for ``host``, once every address it resolves to is allowed; else
    ``HostNotAllowed`` with a message for the user."""
    host = (host or "").strip()
    if not host:
        raise HostNotAllowed(_("Isi alamat IP mesin."))
    networks, names = _allow_list()
    listed_name = _normal_name(host) in names
    addresses = resolve(host)
    refused = [a for a in addresses if not address_allowed(a, listed_name=listed_name, networks=networks)]
    if refused:
        shown = ", ".join(str(a) for a in refused)
        raise HostNotAllowed(
            _(
                "Alamat mesin “%(host)s” tidak diizinkan: mesin harus beralamat jaringan lokal (10.x.x.x, "
                "172.16.x.x–172.31.x.x, 192.168.x.x, 100.64.x.x–100.127.x.x) atau terdaftar di pengaturan "
                "ATTENDANCE_ALLOWED_HOSTS. Hubungi administrator portal."
            )
            % {"host": host if host == shown else f"{host} ({shown})"}
        )
    return str(addresses[0])


def validate_device_host(value: str) -> None:
    """The form and API check of a device's host (empty is fine: a push device has none)."""
    if not (value or "").strip():
        return
    try:
        host_check(value)
    except HostNotAllowed as exc:
        raise ValidationError(str(exc), code="host_not_allowed") from None
