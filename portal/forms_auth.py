from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    # Django's own text fills in the field's name ("nama pengguna"), which the Indonesian catalogue already
    # spells out: "Masukkan nama pengguna nama pengguna dan sandi…". One sentence of our own instead.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Masukkan nama pengguna dan sandi yang benar. Huruf besar dan kecil dibedakan."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"
