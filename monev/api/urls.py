from rest_framework.routers import SimpleRouter

from monev.api import views

router = SimpleRouter()
router.register("document-types", views.DocumentTypeViewSet, basename="document-type")
router.register("obligations", views.ObligationViewSet, basename="obligation")
router.register("submissions", views.SubmissionViewSet, basename="submission")
router.register("files", views.SubmissionFileViewSet, basename="submission-file")
router.register("sanctions", views.SanctionViewSet, basename="sanction")

urlpatterns = router.urls
