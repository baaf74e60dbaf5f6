from rest_framework.permissions import SAFE_METHODS, BasePermission


class RulesObjectPermission(BasePermission):
    """Object access through the model's rules permissions (view for reads, change otherwise).

    A caller who may not view an object gets 404 from the viewset's queryset or from here.
    """

    def has_object_permission(self, request, view, obj):
        opts = obj._meta
        action = "view" if request.method in SAFE_METHODS else "change"
        return request.user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}", obj)
