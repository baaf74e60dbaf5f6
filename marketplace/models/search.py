from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _
from rules.contrib.models import RulesModelBase, RulesModelMixin

from marketplace import rules as market_rules


class SearchDocument(models.Model):
    """The searchable, public text of one listing, segmented (jieba) and weighted.

    Written by the service that saves the listing (marketplace.search.index). Only what every
    visitor may read goes in: never an anonymous demand's enterprise, never a confidential
    demand's details, never a draft. PostgreSQL searches `search_vector` (GIN, or RUM when the
    extension is installed); SQLite searches the FTS5 table kept beside it.
    """

    # Indexed by the (content_type, object_id) unique constraint.
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+", db_index=False)
    object_id = models.PositiveBigIntegerField()
    listing = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(_("kind"), max_length=20)
    title = models.CharField(_("title"), max_length=300)
    snippet = models.TextField(_("snippet"), blank=True)
    url = models.CharField(_("link"), max_length=300)
    title_tokens = models.TextField(blank=True)
    body_tokens = models.TextField(blank=True)
    # kind, category, TRL, regions, organization and fields as tokens (text.filter_token), so a
    # ranked search with filters is answered inside the full-text index.
    filter_tokens = models.TextField(blank=True)
    search_vector = SearchVectorField(null=True, blank=True)
    category = models.CharField(_("category or type"), max_length=40, blank=True)
    trl = models.PositiveSmallIntegerField(_("TRL"), null=True, blank=True)
    # The finest public division, and its city and province, so each level filters by equality.
    region_code = models.CharField(_("region"), max_length=6, blank=True)
    city_code = models.CharField(_("city"), max_length=6, blank=True)
    province_code = models.CharField(_("province"), max_length=6, blank=True)
    organization = models.ForeignKey(
        "marketplace.Organization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the organization may not be shown (anonymous demands)."),
    )
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    industry_fields = models.ManyToManyField(
        "marketplace.IndustryField", through="SearchDocumentField", related_name="+"
    )

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search index")
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id"], name="search_document_one_per_listing")
        ]
        indexes = [models.Index(fields=["kind", "-published_at"], name="search_kind_recent_idx")]

    def __str__(self) -> str:
        return self.title


class SearchDocumentField(models.Model):
    """A document's industry fields and their parents, for filtering and facet counts."""

    # Both columns are indexed by the constraint (document, field) and the index (field, document).
    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="field_links", db_index=False)
    field = models.ForeignKey("marketplace.IndustryField", on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document", "field"], name="search_document_field_once")]
        indexes = [models.Index(fields=["field", "document"], name="search_field_document_idx")]

    def __str__(self) -> str:
        return f"{self.document_id} → {self.field_id}"


class Synonym(RulesModelMixin, models.Model, metaclass=RulesModelBase):
    """A group of interchangeable terms (锂电 / 锂电池 / 锂离子电池), kept by bureau staff.
    A search for any of them finds documents with any other."""

    terms = models.CharField(
        _("terms"),
        max_length=300,
        unique=True,
        help_text=_("Separated by spaces or commas, e.g. 锂电 锂电池 锂离子电池."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonyms")
        ordering = ["terms"]
        rules_permissions = {
            "view": market_rules.is_bureau_staff,
            "add": market_rules.is_bureau_reviewer,
            "change": market_rules.is_bureau_reviewer,
            "delete": market_rules.is_bureau_reviewer,
        }

    def __str__(self) -> str:
        return self.terms

    def save(self, *args, **kwargs):
        from marketplace.search import forget_synonyms

        self.terms = " ".join(self.term_list())
        super().save(*args, **kwargs)
        forget_synonyms()

    def delete(self, *args, **kwargs):
        from marketplace.search import forget_synonyms

        result = super().delete(*args, **kwargs)
        forget_synonyms()
        return result

    def clean(self):
        from django.core.exceptions import ValidationError

        if len(self.term_list()) < 2:
            raise ValidationError({"terms": _("Give at least two terms that mean the same.")})

    def term_list(self) -> list[str]:
        return [term for term in self.terms.replace("，", " ").replace(",", " ").replace("、", " ").split() if term]


class SavedSearch(RulesModelMixin, models.Model, metaclass=RulesModelBase):
    """A search a user keeps; new matches are announced in-app (and by e-mail at the user's
    frequency), each match once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("search words"), max_length=200, blank=True)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)

    class Meta:
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        ordering = ["-created_at"]
        rules_permissions = {
            "view": market_rules.is_own_record,
            "change": market_rules.is_own_record,
            "delete": market_rules.is_own_record,
            "add": market_rules.always_allow,
        }

    def __str__(self) -> str:
        return self.name


class SavedSearchHit(models.Model):
    """A document already announced for a saved search (so each match is announced once)."""

    saved_search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="hits")
    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["saved_search", "document"], name="saved_search_hit_once")]

    def __str__(self) -> str:
        return f"{self.saved_search_id} → {self.document_id}"


class Favourite(RulesModelMixin, models.Model, metaclass=RulesModelBase):
    """A listing a user marked (收藏)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    listing = GenericForeignKey("content_type", "object_id")
    title = models.CharField(
        _("title"), max_length=300, help_text=_("As it was when marked, so a withdrawn listing is still named.")
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("favourite")
        verbose_name_plural = _("favourites")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "content_type", "object_id"], name="favourite_once")]
        rules_permissions = {
            "view": market_rules.is_own_record,
            "delete": market_rules.is_own_record,
            "add": market_rules.always_allow,
            "change": market_rules.always_deny,
        }

    def __str__(self) -> str:
        return f"{self.user} ★ {self.content_type_id}:{self.object_id}"
