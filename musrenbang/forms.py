"""Forms of the Musrenbang pages. They only parse and check the input; every write goes through
``musrenbang.services``, which checks the role and the scope again. Choices of desa and kecamatan always come
from ``restrict``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from musrenbang import rules
from musrenbang.choices import DocumentRole, MeetingKind, ParticipantGroup, ProposalStatus
from musrenbang.models import Proposal
from musrenbang.services import PROPOSAL_FIELDS
from portal.forms import DateInput
from portal.models import Desa, Kecamatan
from portal.scoping import restrict
from portal.validators import BUSINESS_YEAR_MAX, BUSINESS_YEAR_MIN, validate_business_date


def _select() -> forms.Select:
    return forms.Select(attrs={"class": "form-select"})


def _text(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", **attrs})


def _textarea(rows: int = 2) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "form-control", "rows": rows})


def _number(**attrs) -> forms.NumberInput:
    return forms.NumberInput(attrs={"class": "form-control", **attrs})


def _file(accept: str) -> forms.ClearableFileInput:
    return forms.ClearableFileInput(attrs={"class": "form-control", "accept": accept})


# Meetings ---------------------------------------------------------------------------------------------------


class ScheduleForm(forms.Form):
    """The kecamatan sets the planned date of one kind of meeting for every desa (or of its own forum)."""

    kind = forms.ChoiceField(label=_("Jenis musyawarah"), choices=MeetingKind.choices, widget=_select())
    planned_date = forms.DateField(label=_("Tanggal rencana"), widget=DateInput(), validators=[validate_business_date])
    window_start = forms.DateField(
        label=_("Awal jendela"),
        required=False,
        widget=DateInput(),
        validators=[validate_business_date],
        help_text=_("Kosongkan awal dan akhir jendela untuk memakai jendela menurut aturan."),
    )
    window_end = forms.DateField(
        label=_("Akhir jendela"), required=False, widget=DateInput(), validators=[validate_business_date]
    )
    kecamatan = forms.ModelChoiceField(label=_("Kecamatan"), queryset=Kecamatan.objects.none(), widget=_select())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.kecamatan_id:
            del self.fields["kecamatan"]  # staff schedule their own kecamatan
        else:
            self.fields["kecamatan"].queryset = restrict(Kecamatan.objects.order_by("nama"), user)

    def clean(self):
        data = super().clean()
        start, end = data.get("window_start"), data.get("window_end")
        if (start is None) != (end is None) and not self.has_error("window_start") and not self.has_error("window_end"):
            raise forms.ValidationError(gettext("Isi awal dan akhir jendela, atau kosongkan keduanya."))
        return data

    @property
    def window(self):
        start, end = self.cleaned_data.get("window_start"), self.cleaned_data.get("window_end")
        return (start, end) if start and end else None


class MeetingRecordForm(forms.Form):
    held_date = forms.DateField(
        label=_("Tanggal pelaksanaan"), required=False, widget=DateInput(), validators=[validate_business_date]
    )
    place = forms.CharField(label=_("Tempat"), max_length=200, required=False, widget=_text())
    notes = forms.CharField(label=_("Catatan"), required=False, widget=_textarea(3))


class DocumentForm(forms.Form):
    role = forms.ChoiceField(label=_("Jenis dokumen"), choices=DocumentRole.choices, widget=_select())
    berkas = forms.FileField(
        label=_("Berkas (PDF/JPEG/PNG; daftar hadir juga Excel)"), widget=_file(".pdf,.jpg,.jpeg,.png,.xlsx")
    )


class ParticipationForm(forms.Form):
    """Men and women per group; a group left at zero is simply absent."""

    def __init__(self, *args, by_group: dict[str, tuple[int, int]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        by_group = by_group or {}
        for group, label in ParticipantGroup.choices:
            men, women = by_group.get(group, (0, 0))
            for suffix, value, gender in (("men", men, gettext("laki-laki")), ("women", women, gettext("perempuan"))):
                self.fields[f"{group}_{suffix}"] = forms.IntegerField(
                    label=f"{label} — {gender}",
                    min_value=0,
                    max_value=100000,
                    initial=value,
                    required=False,
                    widget=_number(min=0, **{"class": "form-control form-control-sm"}),
                )

    def rows(self):
        """Per group: (label, men field, women field), for the template."""
        return [(label, self[f"{group}_men"], self[f"{group}_women"]) for group, label in ParticipantGroup.choices]

    def counts(self) -> dict[str, tuple[int, int]]:
        data = self.cleaned_data
        return {g: (data.get(f"{g}_men") or 0, data.get(f"{g}_women") or 0) for g in ParticipantGroup.values}


# Proposals --------------------------------------------------------------------------------------------------


class ProposalForm(forms.ModelForm):
    """The fields the desa fills in. For a new proposal also the cycle year and (kecamatan staff) the desa."""

    year = forms.IntegerField(
        label=_("Tahun siklus"), min_value=BUSINESS_YEAR_MIN, max_value=BUSINESS_YEAR_MAX, widget=_number()
    )
    desa = forms.ModelChoiceField(label=_("Desa"), queryset=Desa.objects.none(), widget=_select())

    class Meta:
        model = Proposal
        fields = list(PROPOSAL_FIELDS)
        widgets = {"beneficiaries": _text(), "activity": _text(), "sub_bidang": _text(), "location": _text()}

    def __init__(self, *args, user, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["year"], self.fields["desa"]
        elif user.is_desa_user:
            del self.fields["desa"]  # always the user's own desa
        else:
            self.fields["desa"].queryset = restrict(Desa.objects.order_by("kode"), user)
        for name, field in self.fields.items():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
            if name in ("volume", "estimated_cost", "desa_rank"):
                field.widget.attrs.setdefault("min", 0)

    def proposal_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in PROPOSAL_FIELDS}


class MoveForm(forms.Form):
    """One step of the flow. Which fields matter depends on ``to_status``; the service checks what each step
    needs (a program for accommodated, a reason for not accommodated)."""

    to_status = forms.ChoiceField(choices=ProposalStatus.choices, widget=forms.HiddenInput())
    kecamatan_priority = forms.IntegerField(
        label=_("Prioritas kecamatan"), min_value=1, max_value=999, required=False, widget=_number(min=1)
    )
    score = forms.DecimalField(
        label=_("Skor (0–100)"),
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        required=False,
        widget=_number(min=0, max=100, step="0.01"),
    )
    program = forms.CharField(label=_("Program/OPD yang menampung"), max_length=200, required=False, widget=_text())
    accommodated_cost = forms.DecimalField(
        label=_("Pagu yang ditampung (Rp)"),
        min_value=0,
        max_digits=15,
        decimal_places=0,
        required=False,
        widget=_number(min=0),
        help_text=_("Kosong: sama dengan perkiraan biaya."),
    )
    outcome_reason = forms.CharField(label=_("Alasan"), required=False, widget=_textarea())
    note = forms.CharField(label=_("Catatan"), required=False, widget=_textarea())

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "to_status": data["to_status"],
            "note": data["note"],
            "kecamatan_priority": data["kecamatan_priority"],
            "score": data["score"],
            "outcome_reason": data["outcome_reason"],
            "program": data["program"],
            "accommodated_cost": data["accommodated_cost"],
        }


class RankingRuleForm(forms.Form):
    """The kecamatan's tie-breakers in order: one select per position, blanks skipped."""

    def __init__(self, *args, current: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        current = list(current or [])
        choices = [("", "—")] + [(key, gettext(label)) for key, (label, _key) in rules.TIE_BREAKERS.items()]
        for position in range(1, len(rules.TIE_BREAKERS) + 1):
            self.fields[f"urutan_{position}"] = forms.ChoiceField(
                label=_("Urutan %(n)d") % {"n": position},
                choices=choices,
                required=False,
                initial=current[position - 1] if position <= len(current) else "",
                widget=_select(),
            )

    def clean(self):
        data = super().clean()
        chosen = [data[name] for name in self.fields if data.get(name)]
        if len(set(chosen)) != len(chosen):
            raise forms.ValidationError(gettext("Setiap penentu hanya boleh dipilih sekali."))
        data["tie_breakers"] = chosen
        return data
