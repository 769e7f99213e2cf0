from django.conf import settings
from django.utils import translation


class LanguageMiddleware:
    """Bahasa Indonesia unless the user picked another language (the footer switch sets a cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a kecamatan PC with an
    English Windows would show English; the portal's language is the office's choice, not the browser's.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.available:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CleanTextMiddleware:
    """Web forms (and form-encoded API posts) get their free text cleaned of control characters before any view
    sees it — the same ``clean_text`` the API's JSON parser applies (``portal.api.parsers``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.content_type in FORM_TYPES:
            from portal.validators import clean_querydict

            request.POST = clean_querydict(request.POST)
        return self.get_response(request)
