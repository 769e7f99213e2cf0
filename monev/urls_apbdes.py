"""Monev III pages: apbdes (included by monev/urls.py)."""

urlpatterns: list = []
