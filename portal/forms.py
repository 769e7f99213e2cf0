from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal import imports, permissions, privacy
from portal.models import Desa, Perangkat
from portal.scoping import restrict


class DateInput(forms.DateInput):
    """Plain text input in dd/mm/yyyy: browsers' date pickers show the OS locale's order, not ours."""

    def __init__(self, **kwargs):
        super().__init__(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "class": "form-control"}, **kwargs)


class PerangkatForm(forms.ModelForm):
    class Meta:
        model = Perangkat
        fields = [
            "desa",
            "nama",
            "jabatan",
            "keterangan_jabatan",
            "jenis_kelamin",
            "nik",
            "nipd",
            "tanggal_mulai",
            "tanggal_selesai",
        ]
        widgets = {"tanggal_mulai": DateInput(), "tanggal_selesai": DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The desa choices are the user's scope: an operator sees (and can pick) only their own desa.
        self.fields["desa"].queryset = restrict(Desa.objects.all(), user)
        if user.is_desa_user:
            self.fields["desa"].initial = user.desa_id
            self.fields["desa"].disabled = True
        for name, field in self.fields.items():
            if name not in ("tanggal_mulai", "tanggal_selesai"):
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs.setdefault("class", css)
        self.nik_hidden = bool(self.instance.nik) and not permissions.can_see_full_nik(user, self.instance.desa_id)
        if self.nik_hidden:
            # Kecamatan staff may correct a perangkat without seeing its NIK: the field starts empty and an
            # empty field keeps the stored number.
            self.initial["nik"] = ""
            self.fields["nik"].help_text = _("Tersimpan: %(nik)s. Kosongkan bila tidak diubah.") % {
                "nik": privacy.nik_masked(self.instance.nik)
            }

    def clean_nik(self) -> str:
        nik = self.cleaned_data["nik"]
        return self.instance.nik if self.nik_hidden and not nik else nik


class ImportForm(forms.Form):
    """An Excel workbook to import (perangkat, usulan, daftar hadir). ``berkas`` cleans to the workbook's
    bytes, checked by content and size (``portal.imports.upload_bytes``); a refusal shows under the field."""

    berkas = forms.FileField(
        label=_("Berkas Excel (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx"}),
    )

    def clean_berkas(self) -> bytes:
        return imports.upload_bytes(self.cleaned_data["berkas"])


class DeactivateForm(forms.Form):
    tanggal_selesai = forms.DateField(label=_("Tanggal selesai menjabat"), widget=DateInput(), required=False)
