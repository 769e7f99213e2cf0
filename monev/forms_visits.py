"""Forms of the monev plan and visit pages. Forms shown many times on one page (one per recommendation) take a
``prefix``, so every <label for> points at exactly one field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from monev.models_visits import Finding, VisitMode, VisitType
from portal.choices import KECAMATAN_ROLES
from portal.forms import DateInput
from portal.models import Desa, User
from portal.scoping import restrict
from portal.validators import validate_business_date

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}
EVIDENCE_ACCEPT = ".pdf,.jpg,.jpeg,.png"


class VisitForm(forms.Form):
    desa = forms.ModelChoiceField(label=_("Desa"), queryset=Desa.objects.none(), widget=forms.Select(attrs=SELECT))
    visit_type = forms.ChoiceField(
        label=_("Jenis evaluasi"), choices=VisitType.choices, widget=forms.Select(attrs=SELECT)
    )
    mode = forms.ChoiceField(label=_("Bentuk"), choices=VisitMode.choices, widget=forms.Select(attrs=SELECT))
    visit_date = forms.DateField(label=_("Tanggal"), widget=DateInput(), validators=[validate_business_date])
    team = forms.ModelMultipleChoiceField(
        label=_("Tim kecamatan"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={**SELECT, "size": 5}),
    )
    other_members = forms.CharField(
        label=_("Anggota lain (satu nama per baris, mis. Pendamping Desa)"),
        required=False,
        widget=forms.Textarea(attrs={**TEXT, "rows": 2}),
    )
    summary = forms.CharField(label=_("Ringkasan"), required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 3}))
    letter_number = forms.CharField(
        label=_("Nomor laporan"), max_length=100, required=False, widget=forms.TextInput(attrs=TEXT)
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["desa"].queryset = restrict(Desa.objects.order_by("kode"), user)
        team = User.objects.filter(is_active=True, role__in=[r.value for r in KECAMATAN_ROLES])
        if not user.is_portal_admin:
            team = team.filter(kecamatan_id=user.kecamatan_id)
        self.fields["team"].queryset = team.order_by("first_name", "username")
        self.fields["team"].label_from_instance = lambda u: u.get_full_name() or u.username


class FindingForm(forms.Form):
    text = forms.CharField(label=_("Temuan"), widget=forms.Textarea(attrs={**TEXT, "rows": 2}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "finding")
        super().__init__(*args, **kwargs)


class RecommendationForm(forms.Form):
    text = forms.CharField(label=_("Rekomendasi"), widget=forms.Textarea(attrs={**TEXT, "rows": 2}))
    responsible = forms.CharField(
        label=_("Penanggung jawab di desa"), max_length=200, widget=forms.TextInput(attrs=TEXT)
    )
    due_date = forms.DateField(label=_("Tenggat"), widget=DateInput(), validators=[validate_business_date])
    finding = forms.ModelChoiceField(
        label=_("Temuan terkait"), queryset=Finding.objects.none(), required=False, widget=forms.Select(attrs=SELECT)
    )

    def __init__(self, *args, visit, **kwargs):
        kwargs.setdefault("prefix", "rec")
        super().__init__(*args, **kwargs)
        self.fields["finding"].queryset = visit.findings.all()


class FileForm(forms.Form):
    upload = forms.FileField(
        label=_("Berkas bukti (PDF/JPEG/PNG)"),
        widget=forms.ClearableFileInput(attrs={**TEXT, "accept": EVIDENCE_ACCEPT}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "file")
        super().__init__(*args, **kwargs)


class FollowUpForm(forms.Form):
    text = forms.CharField(label=_("Tindak lanjut"), widget=forms.Textarea(attrs={**TEXT, "rows": 2}))
    upload = forms.FileField(
        label=_("Berkas bukti (PDF/JPEG/PNG)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={**TEXT, "accept": EVIDENCE_ACCEPT}),
    )


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Alasan (wajib bila dibuka kembali)"),
        required=False,
        widget=forms.Textarea(attrs={**TEXT, "rows": 2}),
    )
