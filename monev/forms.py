from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from monev import rules
from monev.choices import Outcome
from portal.forms import DateInput
from portal.validators import validate_business_date


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "form-control", "accept": ".xlsx,.pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class _Ids:
    """Several forms share one page (the obligation page) and field names ("reason", "note"): each form class
    gets its own id prefix so that every <label for> points at exactly one field."""

    id_prefix = "id"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class SubmissionForm(forms.Form):
    document = forms.FileField(
        label=_("Dokumen (PDF)"), widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".pdf"})
    )
    attachments = MultipleFileField(label=_("Lampiran data (Excel/PDF, boleh kosong)"), required=False)
    document_number = forms.CharField(
        label=_("Nomor dokumen"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    document_date = forms.DateField(label=_("Tanggal ditetapkan/diundangkan"), required=False, widget=DateInput())
    notes = forms.CharField(
        label=_("Catatan"), required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 2})
    )
    outcome = forms.ChoiceField(
        label=_("Hasil evaluasi"),
        choices=[("", "—"), *Outcome.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    confirm_duplicate = forms.BooleanField(
        label=_("Tetap kirim berkas yang sama"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, outcome_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not outcome_required:
            del self.fields["outcome"]  # only evaluations record a result


class ReviewForm(_Ids, forms.Form):
    id_prefix = "review"

    decision = forms.ChoiceField(
        label=_("Keputusan"),
        choices=[("accept", _("Terima")), ("return", _("Kembalikan untuk perbaikan"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Catatan untuk desa"), required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 2})
    )


class TriggerForm(_Ids, forms.Form):
    id_prefix = "trigger"

    trigger_date = forms.DateField(label=_("Tanggal pemicu"), widget=DateInput(), validators=[validate_business_date])


class ExtensionForm(_Ids, forms.Form):
    id_prefix = "extension"

    new_due_date = forms.DateField(label=_("Tenggat baru"), widget=DateInput(), validators=[validate_business_date])
    reason = forms.CharField(label=_("Alasan"), widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))


class ReasonForm(_Ids, forms.Form):
    id_prefix = "reason"

    reason = forms.CharField(label=_("Alasan"), widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))


class EventObligationForm(forms.Form):
    """One event of a per-event type (a Perdes promulgated on a date). The desa page carries one per such type:
    each gets its own ids and its type's words in the labels."""

    label = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"class": "form-control"}))
    trigger_date = forms.DateField(
        label=_("Tanggal diundangkan"), widget=DateInput(), validators=[validate_business_date]
    )

    def __init__(self, *args, document_type, **kwargs):
        kwargs.setdefault("auto_id", f"event_{document_type.code.lower()}_%s")
        super().__init__(*args, **kwargs)
        self.document_type = document_type
        short = rules.short_name(document_type.code, document_type.name)
        self.fields["label"].label = _("Nomor/judul %(doc)s") % {"doc": short}
        if document_type.trigger_label:
            self.fields["trigger_date"].label = document_type.trigger_label


class SanctionForm(_Ids, forms.Form):
    id_prefix = "sanction"

    level = forms.ChoiceField(
        label=_("Tingkat teguran"),
        choices=[
            ("lisan", _("Teguran lisan")),
            ("tertulis_1", _("Teguran tertulis I")),
            ("tertulis_2", _("Teguran tertulis II")),
        ],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    letter_number = forms.CharField(
        label=_("Nomor surat"), max_length=100, required=False, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    note = forms.CharField(
        label=_("Catatan"), required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 2})
    )
