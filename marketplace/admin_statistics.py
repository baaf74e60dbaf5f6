"""The bureau's yearly targets in the admin: statisticians and administrators set them, other
bureau staff read them; the statistics console shows the progress."""

from __future__ import annotations

from django.contrib import admin
from rules.contrib.admin import ObjectPermissionsModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from marketplace.models import YearlyTarget


@admin.register(YearlyTarget)
class YearlyTargetAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    list_display = ("year", "metric", "target", "note", "updated_at")
    list_filter = ("year", "metric")
    search_fields = ("note",)
    ordering = ("-year", "metric")
    fields = ("year", "metric", "target", "note")
