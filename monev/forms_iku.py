"""Forms of the indicator pages: a target, a manual value with its evidence, a program's budget."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from monev.models_iku import ProgramBudget

QUARTER_CHOICES = [(0, _("Setahun")), (1, "I"), (2, "II"), (3, "III"), (4, "IV")]


def _number(label, required=True):
    return forms.DecimalField(
        label=label, required=required, max_digits=12, decimal_places=2, widget=forms.NumberInput(attrs={"step": "any"})
    )


class _Styled:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class TargetForm(_Styled, forms.Form):
    year = forms.IntegerField(label=_("Tahun"), min_value=2000, max_value=2100)
    value = _number(_("Target tahunan"))
    q1 = _number(_("Target TW I"), required=False)
    q2 = _number(_("Target TW II"), required=False)
    q3 = _number(_("Target TW III"), required=False)
    q4 = _number(_("Target TW IV"), required=False)
    note = forms.CharField(label=_("Keterangan"), max_length=300, required=False)


class ValueForm(_Styled, forms.Form):
    year = forms.IntegerField(label=_("Tahun"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(label=_("Periode"), choices=QUARTER_CHOICES, coerce=int, initial=0)
    value = _number(_("Realisasi"))
    note = forms.CharField(label=_("Keterangan"), max_length=300, required=False)
    evidence = forms.FileField(label=_("Dokumen bukti (PDF, Excel, JPEG atau PNG)"), required=False)


class ProgramForm(_Styled, forms.ModelForm):
    class Meta:
        model = ProgramBudget
        fields = ["name", "year", "indicator", "budget", "r1", "r2", "r3", "r4"]

    def __init__(self, *args, indicators=None, **kwargs):
        super().__init__(*args, **kwargs)
        if indicators is not None:
            self.fields["indicator"].queryset = indicators
