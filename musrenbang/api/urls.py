from django.urls import path
from rest_framework.routers import SimpleRouter

from musrenbang.api import views

router = SimpleRouter()
router.register("musrenbang/meetings", views.MeetingViewSet, basename="musrenbang-meeting")
router.register("musrenbang/proposals", views.ProposalViewSet, basename="musrenbang-proposal")

urlpatterns = [
    path("musrenbang/board/", views.BoardView.as_view(), name="musrenbang-board"),
    path("musrenbang/ranking-rule/", views.RankingRuleView.as_view(), name="musrenbang-ranking-rule"),
    path("musrenbang/berita-acara.pdf", views.BeritaAcaraPdfView.as_view(), name="musrenbang-berita-acara-pdf"),
    path("musrenbang/proposals/export.xlsx", views.ProposalExportXlsxView.as_view(), name="musrenbang-proposals-xlsx"),
    *router.urls,
]
