from django.urls import path

from marketplace.views import deals

app_name = "deals"

urlpatterns = [
    path("workspace/deals/", deals.deal_list, name="list"),
    path("workspace/deals/<int:pk>/", deals.deal_page, name="detail"),
    path("workspace/deals/<int:pk>/terms/", deals.deal_terms, name="terms"),
    path("workspace/deals/<int:pk>/stage/", deals.deal_move, name="move"),
    path("workspace/deals/<int:pk>/payments/", deals.payment_add, name="payment"),
    path("workspace/deals/<int:pk>/registration/", deals.registration_edit, name="registration"),
    path("workspace/deals/<int:pk>/registration/submit/", deals.registration_submit, name="registration-submit"),
    path("matches/<int:pk>/start-deal/", deals.deal_from_match, name="from-match"),
]
