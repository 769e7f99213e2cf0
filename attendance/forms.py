"""Forms of the attendance review pages: working hours and the kecamatan's policy, leave requests, koreksi
absen, the Camat's notes and teguran.
Choices (desa, perangkat) always come from ``restrict``; the services re-check every write."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from attendance.choices import MissingPunchPolicy, PunchKind
from attendance.models import AttendanceWarning, Leave, WorkSchedule
from attendance.schedules import WEEKDAYS
from portal.forms import DateInput
from portal.models import Desa, Kecamatan, Perangkat
from portal.scoping import restrict
from portal.validators import validate_business_date

T = dt.time
# Presets offered on the schedule form (links, no JavaScript): Perpres 21/2023 practice.
PRESETS = {
    "5": {**{d: (T(7, 30), T(16, 0)) for d in range(4)}, 4: (T(7, 30), T(16, 30))},
    "6": {**{d: (T(7, 30), T(14, 30)) for d in range(4)}, 4: (T(7, 30), T(11, 30)), 5: (T(7, 30), T(13, 0))},
}


def _text(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", **attrs})


def _number() -> forms.NumberInput:
    return forms.NumberInput(attrs={"class": "form-control"})


def _time() -> forms.TimeInput:
    return forms.TimeInput(format="%H:%M", attrs={"class": "form-control form-control-sm", "placeholder": "hh:mm"})


def _attachment(label: str) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=False,
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class ScheduleForm(forms.Form):
    """A schedule's header fields and, per weekday, "hari kerja" + jam masuk + jam pulang (a weekday left
    unchecked is a day off)."""

    kecamatan = forms.ModelChoiceField(
        label=_("Kecamatan"), queryset=Kecamatan.objects.none(), widget=forms.Select(attrs={"class": "form-select"})
    )
    name = forms.CharField(label=_("Nama"), max_length=100, widget=_text())
    desa = forms.ModelChoiceField(
        label=_("Desa"),
        queryset=Desa.objects.none(),
        required=False,
        empty_label=_("Semua desa di kecamatan"),
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text=_("Kosong: berlaku untuk semua desa di kecamatan."),
    )
    valid_from = forms.DateField(
        label=_("Berlaku mulai"), required=False, widget=DateInput(), validators=[validate_business_date]
    )
    valid_to = forms.DateField(
        label=_("Berlaku sampai"),
        required=False,
        widget=DateInput(),
        validators=[validate_business_date],
        help_text=_(
            "Isi keduanya untuk jam kerja khusus suatu rentang (mis. Ramadan), kosongkan untuk jam kerja dasar."
        ),
    )
    tolerance_minutes = forms.IntegerField(
        label=_("Toleransi terlambat (menit)"), min_value=0, max_value=240, initial=0, widget=_number()
    )
    arrival_before_minutes = forms.IntegerField(
        label=_("Jendela datang: menit sebelum jam masuk"), min_value=0, max_value=360, initial=180, widget=_number()
    )
    arrival_after_minutes = forms.IntegerField(
        label=_("Jendela datang: menit sesudah jam masuk"), min_value=0, max_value=600, initial=240, widget=_number()
    )
    departure_before_minutes = forms.IntegerField(
        label=_("Jendela pulang: menit sebelum jam pulang"), min_value=0, max_value=600, initial=240, widget=_number()
    )
    departure_after_minutes = forms.IntegerField(
        label=_("Jendela pulang: menit sesudah jam pulang"), min_value=0, max_value=720, initial=480, widget=_number()
    )

    HEADER = ("name", "kecamatan", "desa", "valid_from", "valid_to", "tolerance_minutes")
    WINDOWS = ("arrival_before_minutes", "arrival_after_minutes", "departure_before_minutes", "departure_after_minutes")

    def __init__(self, *args, user, schedule: WorkSchedule | None = None, preset: str | None = None, **kwargs):
        self.schedule = schedule
        initial = kwargs.pop("initial", None) or {}
        days = PRESETS["5"]
        if schedule is not None and schedule.pk:
            initial.update(
                {
                    "kecamatan": schedule.kecamatan_id,
                    "name": schedule.name,
                    "desa": schedule.desa_id,
                    "valid_from": schedule.valid_from,
                    "valid_to": schedule.valid_to,
                    "tolerance_minutes": schedule.tolerance_minutes,
                    **{name: getattr(schedule, name) for name in self.WINDOWS},
                }
            )
            days = {d.weekday: (d.start, d.end) for d in schedule.days.all()}
        if preset in PRESETS:
            days = PRESETS[preset]
        for weekday in range(7):
            hours = days.get(weekday)
            initial.setdefault(f"day_{weekday}_on", hours is not None)
            initial.setdefault(f"day_{weekday}_start", hours[0] if hours else None)
            initial.setdefault(f"day_{weekday}_end", hours[1] if hours else None)
        super().__init__(*args, initial=initial, **kwargs)
        for weekday in range(7):
            self.fields[f"day_{weekday}_on"] = forms.BooleanField(
                label=_("Hari kerja"),
                required=False,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )
            self.fields[f"day_{weekday}_start"] = forms.TimeField(
                label=_("Jam masuk"), required=False, widget=_time(), input_formats=["%H:%M", "%H.%M", "%H:%M:%S"]
            )
            self.fields[f"day_{weekday}_end"] = forms.TimeField(
                label=_("Jam pulang"), required=False, widget=_time(), input_formats=["%H:%M", "%H.%M", "%H:%M:%S"]
            )
        kecamatan_qs = restrict(Kecamatan.objects.all(), user)
        desa_qs = restrict(Desa.objects.select_related("kecamatan"), user)
        if schedule is not None and schedule.kecamatan_id:
            # The kecamatan of an existing schedule is fixed; its desa override may only name its own desa.
            del self.fields["kecamatan"]
            desa_qs = desa_qs.filter(kecamatan_id=schedule.kecamatan_id)
        elif not user.is_portal_admin:
            del self.fields["kecamatan"]
            desa_qs = desa_qs.filter(kecamatan_id=user.kecamatan_id)
        else:
            self.fields["kecamatan"].queryset = kecamatan_qs
        self.fields["desa"].queryset = desa_qs

    def day_rows(self):
        """Per weekday: (name, checkbox, start, end) bound fields, for the template."""
        return [(WEEKDAYS[w], self[f"day_{w}_on"], self[f"day_{w}_start"], self[f"day_{w}_end"]) for w in range(7)]

    def header_fields(self):
        return [self[name] for name in self.HEADER if name in self.fields]

    def window_fields(self):
        return [self[name] for name in self.WINDOWS]

    def clean(self):
        data = super().clean()
        days = {}
        for weekday in range(7):
            if not data.get(f"day_{weekday}_on"):
                continue
            start, end = data.get(f"day_{weekday}_start"), data.get(f"day_{weekday}_end")
            if start is None or end is None:
                self.add_error(
                    f"day_{weekday}_start" if start is None else f"day_{weekday}_end",
                    _("%(day)s: isi jam masuk dan jam pulang.") % {"day": WEEKDAYS[weekday]},
                )
                continue
            days[weekday] = (start, end)
        if not any(data.get(f"day_{w}_on") for w in range(7)):
            raise forms.ValidationError(_("Centang paling sedikit satu hari kerja."))
        if (data.get("valid_from") is None) != (data.get("valid_to") is None) and not self.has_error("valid_to"):
            self.add_error("valid_to", _("Isi kedua tanggal berlaku, atau kosongkan keduanya."))
        data["days"] = days
        return data

    def apply(self, schedule: WorkSchedule) -> WorkSchedule:
        """Copy the cleaned values onto ``schedule`` (not saved: ``schedule_save`` does that)."""
        data = self.cleaned_data
        if "kecamatan" in self.fields:
            schedule.kecamatan = data["kecamatan"]
        schedule.name = data["name"]
        schedule.desa = data["desa"]
        schedule.valid_from, schedule.valid_to = data["valid_from"], data["valid_to"]
        schedule.tolerance_minutes = data["tolerance_minutes"]
        for name in self.WINDOWS:
            setattr(schedule, name, data[name])
        return schedule


class RequestForm(forms.Form):
    """What the leave and koreksi absen forms share: the perangkat in the user's scope (active ones), first.
    Each form's fields are named as its service's arguments (``attendance.views_requests``)."""

    perangkat = forms.ModelChoiceField(
        label=_("Perangkat"), queryset=Perangkat.objects.none(), widget=forms.Select(attrs={"class": "form-select"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["perangkat"].queryset = restrict(
            Perangkat.objects.filter(aktif=True).select_related("desa"), user
        ).order_by("desa__kode", "nama")
        self.fields["perangkat"].label_from_instance = lambda p: f"{p.nama} — {p.get_jabatan_display()} ({p.desa.nama})"


class LeaveForm(RequestForm):
    kind = forms.ChoiceField(
        label=_("Jenis"), choices=Leave.Kind.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    date_from = forms.DateField(label=_("Dari tanggal"), widget=DateInput(), validators=[validate_business_date])
    date_to = forms.DateField(label=_("Sampai tanggal"), widget=DateInput(), validators=[validate_business_date])
    reason = forms.CharField(
        label=_("Keterangan"), required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 2})
    )
    attachment = _attachment(_("Lampiran (PDF/JPEG/PNG, boleh kosong)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachment"].help_text = _("Surat keterangan dokter wajib untuk sakit lebih dari %(n)d hari.") % {
            "n": settings.ATTENDANCE_SICK_NOTE_AFTER_DAYS
        }

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("Tanggal akhir tidak boleh sebelum tanggal mulai."))
        return data


class DecisionForm(forms.Form):
    """The note of an approve, reject or cancel (leave, koreksi absen)."""

    note = forms.CharField(
        label=_("Catatan"),
        required=False,
        max_length=1000,
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm", "placeholder": _("Catatan (boleh kosong)")}
        ),
    )


class NoteForm(forms.Form):
    perangkat = forms.ModelChoiceField(
        label=_("Tentang perangkat"),
        queryset=Perangkat.objects.none(),
        required=False,
        empty_label=_("Seluruh desa"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    text = forms.CharField(label=_("Catatan"), widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))

    def __init__(self, *args, user, desa: Desa, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["perangkat"].queryset = restrict(Perangkat.objects.filter(desa=desa), user)


class WarningForm(forms.Form):
    perangkat = forms.ModelChoiceField(
        label=_("Perangkat"), queryset=Perangkat.objects.none(), widget=forms.Select(attrs={"class": "form-select"})
    )
    level = forms.ChoiceField(
        label=_("Tingkat"), choices=AttendanceWarning.Level.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    letter_number = forms.CharField(label=_("Nomor surat"), max_length=100, required=False, widget=_text())
    note = forms.CharField(label=_("Alasan"), widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))

    def __init__(self, *args, user, desa: Desa, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["perangkat"].queryset = restrict(Perangkat.objects.filter(desa=desa), user)


class CorrectionForm(RequestForm):
    """Koreksi absen: one forgotten punch of one working day."""

    date = forms.DateField(label=_("Tanggal"), widget=DateInput(), validators=[validate_business_date])
    kind = forms.ChoiceField(
        label=_("Absen yang terlewat"), choices=PunchKind.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    time = forms.TimeField(
        label=_("Jam sebenarnya"),
        widget=_time(),
        input_formats=["%H:%M", "%H.%M", "%H:%M:%S"],
        help_text=_("Jam menurut jam desa, mis. 07:25. Absen pulang lewat tengah malam boleh (mis. 00:30)."),
    )
    reason = forms.CharField(
        label=_("Alasan"),
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
        help_text=_("Mengapa absen tidak tercatat di mesin (mis. lupa absen, jari tidak terbaca)."),
    )
    attachment = _attachment(_("Bukti (PDF/JPEG/PNG, boleh kosong)"))


class PolicyForm(forms.Form):
    missing_punch = forms.ChoiceField(
        label=_("Absen tidak lengkap (TAM/TAP) dalam rekap"),
        choices=MissingPunchPolicy.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class PushCommandForm(forms.Form):
    """A command for a push (ADMS) machine; the dates only for "kirim ulang absen" (local days of the machine)."""

    kind = forms.ChoiceField(label=_("Perintah"), widget=forms.Select(attrs={"class": "form-select"}))
    start = forms.DateField(label=_("Dari tanggal"), required=False, widget=DateInput(), input_formats=["%d/%m/%Y"])
    end = forms.DateField(label=_("Sampai tanggal"), required=False, widget=DateInput(), input_formats=["%d/%m/%Y"])

    def __init__(self, *args, **kwargs):
        from attendance.models import DeviceCommand

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = DeviceCommand.Kind.choices

    def clean(self):
        from attendance.models import DeviceCommand

        data = super().clean()
        if data.get("kind") == DeviceCommand.Kind.BACKFILL and not (data.get("start") and data.get("end")):
            raise forms.ValidationError(_("Kirim ulang absen perlu tanggal awal dan akhir (dd/mm/yyyy)."))
        return data


class RegisterPushForm(forms.Form):
    """Register a serial that called as a push machine of a desa in the user's scope."""

    desa = forms.ModelChoiceField(
        label=_("Desa"),
        queryset=Desa.objects.none(),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    name = forms.CharField(label=_("Nama/lokasi"), max_length=100, required=False, widget=_text())

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["desa"].queryset = restrict(Desa.objects.order_by("nama"), user)
