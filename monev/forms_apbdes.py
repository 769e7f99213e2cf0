from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from monev.choices import Outcome
from monev.models_apbdes import KinerjaVerdict, RealisationCategory


class _Ids:
    """Several forms on one page share field names ("note"): each class gets its own id prefix."""

    id_prefix = "id"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class CommentForm(_Ids, forms.Form):
    id_prefix = "comment"

    target = forms.CharField(
        label=_("Baris atau kelompok kode"),
        max_length=40,
        help_text=_("Nomor baris Excel (mis. 7) untuk satu baris, atau awalan kode (mis. 5.2) untuk satu kelompok."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    text = forms.CharField(label=_("Komentar"), widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))


class SignForm(_Ids, forms.Form):
    id_prefix = "sign"

    outcome = forms.ChoiceField(label=_("Hasil evaluasi"), choices=Outcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Catatan Camat"), required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 2})
    )


class RealisationForm(_Ids, forms.Form):
    id_prefix = "realisation"

    semester = forms.TypedChoiceField(
        label=_("Semester"),
        choices=[(1, "I"), (2, "II")],
        coerce=int,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    category = forms.ChoiceField(
        label=_("Kelompok"), choices=RealisationCategory.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    amount = forms.DecimalField(
        label=_("Realisasi (Rp)"),
        min_value=0,
        max_digits=16,
        decimal_places=0,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )


class VerdictForm(_Ids, forms.Form):
    id_prefix = "verdict"

    verdict = forms.ChoiceField(label=_("Berbasis kinerja"), choices=KinerjaVerdict.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Catatan bukti"), required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 2})
    )
    link = forms.URLField(
        label=_("Tautan dokumen bukti"),
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "form-control"}),
    )
