"""Forms for registration, log-in, password reset and the user's profile."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from marketplace.enums import OrganizationKind
from marketplace.forms.base import MarketForm, MarketFormMixin, MarketModelForm
from marketplace.forms.fields import IndustryFieldsField, RegionField
from marketplace.models import Organization, User
from marketplace.models.accounts import DELETED_USERNAME_PREFIX
from marketplace.services.mail import mail_queue
from marketplace.validators import normalize_uscc, validate_mobile_phone, validate_uscc


class RegistrationForm(MarketForm):
    """A new account together with a new organization, or a request to join an existing one."""

    CREATE, JOIN = "create", "join"

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[User.username_validator],
        help_text=_("Letters, digits and @/./+/-/_ only; used to log in."),
    )
    name = forms.CharField(label=_("Full name"), max_length=50)
    email = forms.EmailField(label=_("E-mail address"), help_text=_("For notifications and password reset."))
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False, validators=[validate_mobile_phone])
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not only digits, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    mode = forms.ChoiceField(
        label=_("Organization"),
        choices=[(CREATE, _("Register a new organization")), (JOIN, _("Join an organization already registered"))],
        widget=forms.RadioSelect,
        initial=CREATE,
    )
    organization_name = forms.CharField(label=_("Organization name"), max_length=100, required=False)
    organization_kind = forms.ChoiceField(
        label=_("Organization kind"),
        choices=[("", "---------"), *OrganizationKind.self_registration_choices()],
        required=False,
    )
    organization_uscc = forms.CharField(
        label=_("Unified social credit code"),
        max_length=18,
        required=False,
        help_text=_("18 characters, as printed on the business licence or legal-person certificate."),
    )
    organization_region = RegionField(required=False)
    organization_industry_fields = IndustryFieldsField(required=False)
    join_query = forms.CharField(
        label=_("Name or credit code of the organization to join"), max_length=100, required=False
    )
    join_message = forms.CharField(label=_("Message to its administrators"), max_length=300, required=False)
    privacy_consent = forms.BooleanField(
        label=_("I have read and agree to the privacy notice"),
        error_messages={"required": _("Agree to the privacy notice to register.")},
    )

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        # Deleted accounts are renamed deleted-<id>; the prefix is kept for them.
        if User.objects.filter(username__iexact=username).exists() or username.lower().startswith(
            DELETED_USERNAME_PREFIX
        ):
            raise ValidationError(_("This username is taken."))
        return username

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("An account with this e-mail address already exists."))
        return email

    def clean_password2(self):
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if first and second and first != second:
            raise ValidationError(_("The two passwords differ."))
        return second

    def clean_organization_uscc(self):
        code = normalize_uscc(self.cleaned_data.get("organization_uscc", ""))
        if code:
            validate_uscc(code)
        return code

    def clean(self):
        data = super().clean()
        password = data.get("password1")
        if password:
            candidate = User(username=data.get("username", ""), name=data.get("name", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(password, candidate)
            except ValidationError as exc:
                self.add_error("password1", exc)
        if data.get("mode") == self.CREATE:
            self._clean_new_organization(data)
        elif data.get("mode") == self.JOIN:
            self._clean_join(data)
        return data

    def _clean_new_organization(self, data):
        required = {
            "organization_name": _("Enter the organization's full registered name."),
            "organization_kind": _("Choose what kind of organization it is."),
            "organization_uscc": _("Enter the unified social credit code."),
            "organization_region": _("Choose the region where it is registered."),
        }
        for name, message in required.items():
            if not data.get(name) and name not in self.errors:
                self.add_error(name, message)
        name = (data.get("organization_name") or "").strip()
        if name and Organization.objects.filter(name=name).exists():
            self.add_error(
                "organization_name",
                _("An organization with this name is already registered; choose “join” to ask its administrators."),
            )
        code = data.get("organization_uscc")
        if code and Organization.objects.filter(uscc=code).exists():
            self.add_error(
                "organization_uscc",
                _("This credit code is already registered; choose “join” to ask its administrators."),
            )

    def _clean_join(self, data):
        query = (data.get("join_query") or "").strip()
        if not query:
            self.add_error("join_query", _("Enter the organization's exact name or credit code."))
            return
        organization = Organization.objects.filter(Q(name=query) | Q(uscc=normalize_uscc(query))).first()
        if organization is None:
            self.add_error("join_query", _("No registered organization has this exact name or credit code."))
        data["join_organization"] = organization

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        arguments = {
            "username": data["username"],
            "name": data["name"],
            "email": data["email"],
            "phone": data.get("phone", ""),
            "password": data["password1"],
            "privacy_consent_version": settings.PRIVACY_NOTICE_VERSION,
        }
        if data["mode"] == self.CREATE:
            arguments["organization_fields"] = {
                "name": data["organization_name"].strip(),
                "kind": data["organization_kind"],
                "uscc": data["organization_uscc"],
                "region": data["organization_region"],
                "industry_fields": list(data.get("organization_industry_fields") or []),
            }
        else:
            arguments["join_organization"] = data["join_organization"]
            arguments["join_message"] = data.get("join_message", "")
        return arguments


class LoginForm(MarketFormMixin, auth_forms.AuthenticationForm):
    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        # One message whether the user exists or not.
        "invalid_login": _("The username or password is wrong."),
    }


class PasswordResetForm(MarketFormMixin, auth_forms.PasswordResetForm):
    """Django's reset form, sending through the outbox instead of directly."""

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        user = context["user"]
        mail_queue(
            to=to_email,
            user=user,
            purpose="password-reset",
            period=f"{context['uid']}:{context['token']}",
            template="mail/password_reset",
            context={
                "user": user,
                "reset_path": reverse(
                    "password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
                ),
            },
        )


class SetPasswordForm(MarketFormMixin, auth_forms.SetPasswordForm):
    pass


class PasswordChangeForm(MarketFormMixin, auth_forms.PasswordChangeForm):
    pass


class ProfileForm(MarketModelForm):
    class Meta:
        model = User
        fields = ["name", "email", "phone", "email_frequency"]
        widgets = {"email_frequency": forms.RadioSelect}

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("An account with this e-mail address already exists."))
        return email


class PrivacyConsentForm(MarketForm):
    """Agreement to the current privacy notice, asked of people who have not agreed to it yet."""

    privacy_consent = forms.BooleanField(
        label=_("I have read and agree to the privacy notice"),
        error_messages={"required": _("Agree to the privacy notice to continue.")},
    )


class AccountDeleteForm(MarketForm):
    """The password, asked again before an account is deleted."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
