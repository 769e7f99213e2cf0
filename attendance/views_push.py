"""The door for machines that call the portal: ``/iclock/cdata``, ``/iclock/getrequest``, ``/iclock/devicecmd``
(and the legacy ``.aspx`` forms), at the paths real ZKTeco firmware uses. Plain text in and out.

A machine has no session and no CSRF token, so these views are CSRF-exempt; nothing else is relaxed: only a
serial registered as an enabled push machine is served (an unknown one gets 403 and is listed for the Kasi
Tapem), a body is limited to ``ADMS_MAX_BODY_BYTES``, and every answer carries a correct ``Date`` header (the
machine may set its clock from it)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from attendance import adms, push


def _text(body: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
    response["Date"] = http_date()
    response["Cache-Control"] = "no-store"
    return response


def _serial(request) -> str:
    return (request.GET.get("SN") or "").strip()[:50]


def _body(request) -> str | None:
    """The body as text, or None when it is larger than allowed (read no further than the limit)."""
    limit = settings.ADMS_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    raw = request.read(limit + 1)
    if len(raw) > limit:
        return None
    # Names on older firmware may come in a legacy code page: keep every byte readable rather than refuse.
    return raw.decode("utf-8", errors="replace")


def _refused(serial: str) -> HttpResponse:
    return _text(f"UNKNOWN DEVICE {serial}\n", status=403)


def _registered(request):
    """The registered push machine named by ``SN``, or the answer that refuses the request (400 without a
    serial, 403 for a serial that is not a registered, enabled push machine)."""
    serial = _serial(request)
    if not serial:
        return _text("SN wajib diisi\n", status=400)
    try:
        return push.push_device(serial)
    except push.Unregistered:
        return _refused(serial)


def _options(device) -> str:
    now = timezone.now()
    return adms.options_block(
        device.serial_number,
        adms.Options(
            attlog_stamp=device.push_attlog_stamp,
            operlog_stamp=device.push_operlog_stamp,
            timezone=adms.zone_offset(device.tz, now),
            delay=settings.ADMS_POLL_SECONDS,
            error_delay=60,
            trans_interval=1,
        ),
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def cdata(request):
    serial = _serial(request)
    if not serial:
        return _text("SN wajib diisi\n", status=400)
    if request.method == "GET":
        return _handshake(request, serial)
    body = _body(request)
    if body is None:
        push.oversized_note(serial, request.META.get("CONTENT_LENGTH", ""))
        return _text("Badan kiriman terlalu besar\n", status=413)
    upload = push.Upload(
        serial=serial,
        table=(request.GET.get("table") or "").upper(),
        query=request.META.get("QUERY_STRING", ""),
        body=body,
        remote_addr=request.META.get("REMOTE_ADDR"),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    try:
        handled = push.upload_receive(upload)
    except push.Throttled:
        return _text("Terlalu sering\n", status=429)
    except push.Unregistered:
        return _refused(serial)
    except RuntimeError:
        # Kept and marked failed; a 500 makes the machine send the lines again later (no punch is doubled).
        return _text("ERROR\n", status=500)
    return _text(f"OK:{handled}\n")


def _handshake(request, serial: str) -> HttpResponse:
    upload = push.Upload(
        serial,
        "",
        request.META.get("QUERY_STRING", ""),
        "",
        request.META.get("REMOTE_ADDR"),
        request.META.get("HTTP_USER_AGENT", ""),
    )
    try:
        device = push.push_device(serial)
    except push.Unregistered:
        try:
            push.unregistered_knock(upload, now=timezone.now())
        except push.Throttled:
            return _text("Terlalu sering\n", status=429)
        return _refused(serial)
    push.contact_record(device, now=timezone.now())
    return _text(_options(device))


@csrf_exempt
@require_http_methods(["GET"])
def getrequest(request):
    device = _registered(request)
    if isinstance(device, HttpResponse):
        return device
    now = timezone.now()
    push.contact_record(device, now=now)
    if request.GET.get("INFO"):
        push.info_apply(device, push.poll_info(request.GET["INFO"]))
    return _text(adms.commands_reply(push.commands_deliver(device, now=now)))


@csrf_exempt
@require_http_methods(["POST"])
def devicecmd(request):
    device = _registered(request)
    if isinstance(device, HttpResponse):
        return device
    body = _body(request)
    if body is None:
        push.oversized_note(device.serial_number, request.META.get("CONTENT_LENGTH", ""))
        return _text("Badan kiriman terlalu besar\n", status=413)
    now = timezone.now()
    push.contact_record(device, now=now)
    push.command_results_receive(device, body, now=now)
    return _text("OK\n")
