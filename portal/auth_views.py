from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.utils.translation import gettext as _

from portal.forms_auth import LoginForm
from portal.throttles import auth_allowed


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if not auth_allowed(request):
            message = _("Terlalu banyak percobaan masuk dari alamat ini. Tunggu satu menit, lalu coba lagi.")
            return render(request, "registration/lockout.html", {"message": message}, status=429)
        return super().post(request, *args, **kwargs)
