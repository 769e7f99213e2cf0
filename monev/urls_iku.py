"""Monev III pages: iku (included by monev/urls.py)."""

urlpatterns: list = []
