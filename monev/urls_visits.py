"""Monev III pages: visits (included by monev/urls.py)."""

urlpatterns: list = []
