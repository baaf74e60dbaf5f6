"""/api/v1/search/ (one ranked search over every public listing), favourites and saved searches."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse

from marketplace import search
from marketplace.api.pagination import CreatedCursorPagination
from marketplace.forms.search import SearchForm
from marketplace.models import Favourite, SavedSearch, SearchDocument
from marketplace.services.saved_searches import favourite_add, saved_search_create, saved_search_delete


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SearchHitSerializer(serializers.Serializer):
    kind = serializers.CharField(source="document.kind", help_text=_("achievement, demand or organization"))
    kind_label = serializers.CharField()
    id = serializers.IntegerField(source="document.object_id", help_text=_("The listing's id in its own endpoint."))
    title = serializers.CharField(source="document.title")
    title_highlighted = serializers.CharField(
        source="title_html", help_text=_("HTML-escaped title with matched words in <mark>.")
    )
    snippet_highlighted = serializers.CharField(
        source="snippet_html", help_text=_("HTML-escaped excerpt with matched words in <mark>.")
    )
    url = serializers.SerializerMethodField(help_text=_("The listing's page."))
    category = serializers.CharField(source="document.category")
    category_label = serializers.CharField()
    trl = serializers.IntegerField(source="document.trl", allow_null=True)
    region = serializers.CharField(
        source="document.region_code", help_text=_("Division code, as public as the listing.")
    )
    region_name = serializers.CharField()
    organization = serializers.SerializerMethodField()
    industry_fields = serializers.ListField(child=serializers.CharField(), source="field_names")
    published_at = serializers.DateTimeField(source="document.published_at", allow_null=True)

    def get_url(self, hit) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(hit.url) if request else hit.url

    @extend_schema_field(RefSerializer(allow_null=True))
    def get_organization(self, hit) -> dict | None:
        organization = hit.document.organization
        if organization is None:
            return None
        return {"id": organization.pk, "name": organization.name}


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    selected = serializers.BooleanField()


class FacetSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    values = FacetValueSerializer(many=True)


@extend_schema_serializer(many=False)  # the list action answers one object, not an array
class SearchResultsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("Matches, counted up to 1,001; see count_capped."))
    count_capped = serializers.BooleanField(help_text=_("True when there are more than 1,000 matches."))
    page = serializers.IntegerField()
    pages = serializers.IntegerField(help_text=_("At most 50: results stop at the 1,000th."))
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    similar = serializers.BooleanField(
        help_text=_("True when nothing matched every word and the results are listings with similar names.")
    )
    notices = serializers.ListField(child=serializers.CharField())
    facets = FacetSerializer(many=True, help_text=_("Counts over at most the first 1,000 matches."))
    facets_sampled = serializers.BooleanField()
    results = SearchHitSerializer(many=True, source="hits")


def _form_parameters() -> list[OpenApiParameter]:
    types = {
        "trl_min": OpenApiTypes.INT,
        "trl_max": OpenApiTypes.INT,
        "organization": OpenApiTypes.INT,
        "page": OpenApiTypes.INT,
    }
    descriptions = {
        "q": _("Search words (Chinese, English or digits); up to 100 characters are used."),
        "kind": _("achievement, demand or organization"),
        "category": _("The kind's category: achievement category, demand type or organization kind."),
        "field": _("Industry field code; includes its sub-fields."),
        "region": _("Division code; a province or city includes what is inside it."),
        "page": _("Page number (1–50)."),
    }
    return [
        OpenApiParameter(name, types.get(name, OpenApiTypes.STR), description=str(descriptions.get(name, field.label)))
        for name, field in SearchForm.base_fields.items()
    ]


def _validated_form(data) -> SearchForm:
    form = SearchForm(data)
    if not form.is_valid():
        raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
    return form


class SearchViewSet(viewsets.ViewSet):
    """Ranked full-text search over public achievements, demands and organizations."""

    permission_classes = [AllowAny]

    @extend_schema(parameters=_form_parameters(), responses=SearchResultsSerializer)
    def list(self, request):
        form = _validated_form(request.query_params)
        results = form.run()
        params = request.query_params.copy()

        def page_link(number: int | None) -> str | None:
            if number is None:
                return None
            params["page"] = str(number)
            return request.build_absolute_uri(reverse("v1:search-list") + "?" + params.urlencode())

        data = SearchResultsSerializer(
            {
                "count": results.count,
                "count_capped": results.capped,
                "page": results.page,
                "pages": results.pages,
                "next": page_link(results.page + 1 if results.has_next else None),
                "previous": page_link(results.page - 1 if results.has_previous else None),
                "similar": results.similar,
                "notices": results.notices,
                "facets": results.facets,
                "facets_sampled": results.facets_sampled,
                "hits": results.hits,
            },
            context={"request": request},
        ).data
        return Response(data)


class FavouriteSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=[], write_only=True, help_text=_("achievement, demand or organization"))
    object_id = serializers.IntegerField(min_value=1, help_text=_("The listing's id in its own endpoint."))
    listing_kind = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text=_("The listing's page; null once it is no longer listed."))
    listed = serializers.SerializerMethodField(help_text=_("Whether the listing is still public."))

    class Meta:
        model = Favourite
        fields = ["id", "kind", "listing_kind", "object_id", "title", "url", "listed", "created_at"]
        read_only_fields = ["id", "title", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = list(search.adapters())

    def _document(self, favourite):
        return self.context.get("documents", {}).get((favourite.content_type_id, favourite.object_id))

    def get_listing_kind(self, favourite) -> str:
        return self.context.get("kinds", {}).get(favourite.content_type_id, "")

    def get_url(self, favourite) -> str | None:
        document = self._document(favourite)
        request = self.context.get("request")
        if document is None:
            return None
        return request.build_absolute_uri(document.url) if request else document.url

    def get_listed(self, favourite) -> bool:
        return self._document(favourite) is not None


class FavouriteViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """The caller's favourites (收藏) among public listings."""

    serializer_class = FavouriteSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = CreatedCursorPagination

    queryset = Favourite.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        if not self.request.user.is_authenticated:
            return Favourite.objects.none()
        return Favourite.objects.filter(user=self.request.user).order_by("-created_at", "-id")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        # Lazy: the schema generator builds serializers without a database to ask.
        context["kinds"] = SimpleLazyObject(
            lambda: {
                ContentType.objects.get_for_model(adapter.model).pk: kind for kind, adapter in search.adapters().items()
            }
        )
        return context

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        object_ids = {favourite.object_id for favourite in rows}
        documents = SearchDocument.objects.filter(object_id__in=object_ids).only("content_type_id", "object_id", "url")
        self._documents = {(doc.content_type_id, doc.object_id): doc for doc in documents}
        return page

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("context", self.get_serializer_context())
        kwargs["context"]["documents"] = getattr(self, "_documents", {})
        return super().get_serializer(*args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            favourite = favourite_add(user=self.request.user, kind=data["kind"], object_id=data["object_id"])
        except SearchDocument.DoesNotExist:
            raise NotFound from None
        serializer.context["documents"] = {
            (doc.content_type_id, doc.object_id): doc
            for doc in SearchDocument.objects.filter(
                content_type_id=favourite.content_type_id, object_id=favourite.object_id
            )
        }
        serializer.instance = favourite


class SavedSearchSerializer(serializers.ModelSerializer):
    filters = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text=_("The search's filters: kind, category, field, trl_min, trl_max, region, organization."),
    )

    class Meta:
        model = SavedSearch
        fields = ["id", "name", "query", "filters", "created_at", "last_checked_at"]
        read_only_fields = ["id", "created_at", "last_checked_at"]

    def validate(self, attrs):
        form = _validated_form({"q": attrs.get("query", ""), **(attrs.get("filters") or {})})
        unknown = set(attrs.get("filters") or {}) - set(SearchForm.FILTER_FIELDS)
        if unknown:
            raise serializers.ValidationError(
                {"filters": [_("Unknown filter: %(names)s.") % {"names": ", ".join(sorted(unknown))}]}
            )
        attrs["search_filters"] = form.filters()
        return attrs


class SavedSearchViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's saved searches; new listings matching one are announced once each."""

    serializer_class = SavedSearchSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = CreatedCursorPagination

    queryset = SavedSearch.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        if not self.request.user.is_authenticated:
            return SavedSearch.objects.none()
        return SavedSearch.objects.filter(user=self.request.user).order_by("-created_at", "-id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = saved_search_create(
            user=self.request.user,
            name=data.get("name", ""),
            query=data.get("query", ""),
            filters=data["search_filters"],
        )

    def perform_destroy(self, instance):
        saved_search_delete(saved_search=instance, user=self.request.user)
