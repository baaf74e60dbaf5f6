"""/api/v1/ (every app's viewsets), the OpenAPI schema and the self-hosted Swagger UI."""

from django.http import JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotFound
from rest_framework.routers import SimpleRouter

from achievements.api import AchievementViewSet, InquiryMessageViewSet, InquiryViewSet
from brokers.api import BrokerViewSet, EngagementViewSet
from demands.api import DemandResponseMessageViewSet, DemandResponseViewSet, DemandViewSet
from demands.api_challenges import (
    ChallengeBidViewSet,
    ChallengeObjectionViewSet,
    ChallengeViewSet,
    PledgeViewSet,
    PooledProcurementViewSet,
)
from events.api import EventRegistrationViewSet, EventViewSet
from marketplace.api.deals import ContractViewSet, DealPaymentViewSet, DealViewSet
from marketplace.api.evaluation import EvaluationRoundViewSet
from marketplace.api.matching import AchievementMatchViewSet, DemandMatchViewSet, FreeTextMatchViewSet
from marketplace.api.partners import AchievementByRefViewSet, ContractByRefViewSet, DemandByRefViewSet
from marketplace.api.search import FavouriteViewSet, SavedSearchViewSet, SearchViewSet
from marketplace.api.stats import StatsViewSet
from marketplace.api.views import IndustryFieldViewSet, OrganizationViewSet, RegionViewSet
from marketplace.api.webhooks import WebhookDeliveryViewSet, WebhookEndpointViewSet
from pilots.api import PilotBaseViewSet, ServiceRequestViewSet


@csrf_exempt  # answers every method with 404; nothing is changed
def not_found(request, *args, **kwargs):
    body = {"error": {"code": "not_found", "message": str(NotFound.default_detail), "fields": {}}}
    return JsonResponse(body, status=404, json_dumps_params={"ensure_ascii": False})


router = SimpleRouter()
# Partner writes by reference come first: "by-ref" would otherwise be read as a record id.
router.register("achievements/by-ref", AchievementByRefViewSet, basename="achievement-by-ref")
router.register("demands/by-ref", DemandByRefViewSet, basename="demand-by-ref")
router.register("contracts/by-ref", ContractByRefViewSet, basename="contract-by-ref")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("industry-fields", IndustryFieldViewSet, basename="industry-field")
router.register("regions", RegionViewSet, basename="region")
router.register("search", SearchViewSet, basename="search")
router.register("favourites", FavouriteViewSet, basename="favourite")
router.register("saved-searches", SavedSearchViewSet, basename="saved-search")
router.register("achievements", AchievementViewSet, basename="achievement")
router.register("inquiries", InquiryViewSet, basename="inquiry")
router.register(r"inquiries/(?P<inquiry_pk>[0-9]+)/messages", InquiryMessageViewSet, basename="inquiry-message")
router.register(
    r"achievements/(?P<achievement_pk>[0-9]+)/matches", AchievementMatchViewSet, basename="achievement-match"
)
router.register("evaluations", EvaluationRoundViewSet, basename="evaluation")
router.register("demands", DemandViewSet, basename="demand")
router.register(r"demands/(?P<demand_pk>[0-9]+)/responses", DemandResponseViewSet, basename="demand-response")
router.register(
    r"demands/(?P<demand_pk>[0-9]+)/responses/(?P<response_pk>[0-9]+)/messages",
    DemandResponseMessageViewSet,
    basename="demand-response-message",
)
router.register(r"demands/(?P<demand_pk>[0-9]+)/matches", DemandMatchViewSet, basename="demand-match")
router.register("match/achievements", FreeTextMatchViewSet, basename="match-achievements")
router.register("challenges", ChallengeViewSet, basename="challenge")
router.register(r"challenges/(?P<challenge_pk>[0-9]+)/bids", ChallengeBidViewSet, basename="challenge-bid")
router.register(
    r"challenges/(?P<challenge_pk>[0-9]+)/objections", ChallengeObjectionViewSet, basename="challenge-objection"
)
router.register("pooled-procurements", PooledProcurementViewSet, basename="pooled-procurement")
router.register(r"pooled-procurements/(?P<pool_pk>[0-9]+)/pledges", PledgeViewSet, basename="pledge")
router.register("deals", DealViewSet, basename="deal")
router.register(r"deals/(?P<deal_pk>[0-9]+)/payments", DealPaymentViewSet, basename="deal-payment")
router.register("contracts", ContractViewSet, basename="contract")
router.register("stats", StatsViewSet, basename="stats")
router.register("brokers", BrokerViewSet, basename="broker")
router.register("engagements", EngagementViewSet, basename="engagement")
router.register("pilot-bases", PilotBaseViewSet, basename="pilot-base")
router.register("service-requests", ServiceRequestViewSet, basename="service-request")
router.register("events", EventViewSet, basename="event")
router.register(r"events/(?P<event_pk>[0-9]+)/registrations", EventRegistrationViewSet, basename="event-registration")
router.register("webhooks/endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("webhooks/deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = [
    path("v1/", include((router.urls, "api"), namespace="v1")),
    # Any other /api/v1/… path: a 404 in the API's error format, not the site's HTML page.
    re_path(r"^v1/", not_found, name="api-not-found"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
