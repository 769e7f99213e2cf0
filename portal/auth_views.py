from django.contrib.auth import views as auth_views

from portal.forms_auth import LoginForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True
