from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import views, views_account, views_health, views_inbox
from portal.auth_views import LoginView

# Every app's API lives under /api/v1/ in the "api" namespace; apps list their urlconf in settings.API_URLCONFS
# so that portal imports no app.
api_patterns = [path("", include(module)) for module in settings.API_URLCONFS]

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("desa/", views.desa_list, name="desa-list"),
    path("desa/<str:kode>/", views.desa_detail, name="desa-detail"),
    path("perangkat/", views.perangkat_list, name="perangkat-list"),
    path("perangkat/tambah/", views.perangkat_create, name="perangkat-create"),
    path("perangkat/ekspor/", views.perangkat_export, name="perangkat-export"),
    path("perangkat/impor/", views.perangkat_import, name="perangkat-import"),
    path("perangkat/impor/templat/", views.perangkat_template, name="perangkat-template"),
    path("perangkat/<int:pk>/", views.perangkat_edit, name="perangkat-edit"),
    path("perangkat/<int:pk>/nonaktifkan/", views.perangkat_deactivate, name="perangkat-deactivate"),
    path("pemberitahuan/", views_inbox.inbox, name="inbox"),
    path("pemberitahuan/<int:pk>/baca/", views_inbox.inbox_read, name="inbox-read"),
    path("pemberitahuan/baca-semua/", views_inbox.inbox_read_all, name="inbox-read-all"),
    path("akun/pemberitahuan/", views_inbox.preferences, name="preferences"),
    path("akun/token/", views_account.tokens, name="account-tokens"),
    path("akun/token/cabut/", views_account.tokens_revoke_view, name="account-tokens-revoke"),
    # Before django.contrib.auth.urls: its own "login/" would otherwise answer first, without our form and limits.
    path("akun/login/", LoginView.as_view(), name="login"),
    path("akun/masuk/", LoginView.as_view()),
    path("akun/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # The probes are answered by portal.views_health.ProbeMiddleware before any other middleware; the routes
    # name them (reverse, tests) and serve them should the middleware be left out.
    path("healthz", views_health.healthz, name="healthz"),
    path("readyz", views_health.readyz, name="readyz"),
    path("status/", views_health.status, name="health-status"),
    *[path("", include(module)) for module in settings.WEB_URLCONFS],
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/", include((api_patterns, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view loads its init script from ?script= instead of inline, as the Content-Security-Policy needs.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="portal/api_docs.html"),
        name="api-docs",
    ),
]

# Under /api/ the API's JSON error body where Django answers before any API view (no route, an unreadable
# multipart body, a body too large); elsewhere the site's pages.
handler400 = "portal.views.bad_request"
handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
