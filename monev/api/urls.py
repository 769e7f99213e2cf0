from rest_framework.routers import SimpleRouter

from monev.api import apbdes, iku, views, visits

router = SimpleRouter()
router.register("document-types", views.DocumentTypeViewSet, basename="document-type")
router.register("obligations", views.ObligationViewSet, basename="obligation")
router.register("submissions", views.SubmissionViewSet, basename="submission")
router.register("files", views.SubmissionFileViewSet, basename="submission-file")
router.register("sanctions", views.SanctionViewSet, basename="sanction")

for part in (visits, apbdes, iku):  # Monev III, one module per part
    part.register(router)

urlpatterns = router.urls
