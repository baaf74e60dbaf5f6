import factory
from django.conf import settings
from django.utils import timezone
from factory.django import DjangoModelFactory

from marketplace import search
from marketplace.enums import MembershipRole, OrganizationKind, StaffGroup, VerificationStatus
from marketplace.models import Membership, Organization, Region, User
from marketplace.validators import uscc_check_character

PASSWORD = "Correct-Horse-Battery-9"


def make_uscc(n: int, region_code: str = "370202", prefix: str = "91") -> str:
    first17 = f"{prefix}{region_code}{n:08d}0"[:17]
    return first17 + uscc_check_character(first17)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Faker("name", locale="zh_CN")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")
    # People made for tests have agreed to the current privacy notice (pass None/"" to test the prompt).
    privacy_consent_at = factory.LazyFunction(timezone.now)
    privacy_consent_version = factory.LazyFunction(lambda: settings.PRIVACY_NOTICE_VERSION)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def staff_groups(self, create, groups, **kwargs):
        if groups:
            from django.contrib.auth.models import Group

            self.is_staff = True
            self.groups.add(*[Group.objects.get(name=StaffGroup(group).value) for group in groups])
        self.save()


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"测试机构{n}有限公司")
    kind = OrganizationKind.ENTERPRISE
    uscc = factory.Sequence(lambda n: make_uscc(n + 1))
    region = factory.LazyFunction(lambda: Region.objects.get(code="370202"))
    verification_status = VerificationStatus.VERIFIED

    @factory.post_generation
    def indexed(self, create, extracted, **kwargs):
        """Published rows get their search document, as the services write it."""
        if create:
            search.update(self)

    class Params:
        unverified = factory.Trait(verification_status=VerificationStatus.UNVERIFIED)
        pending = factory.Trait(verification_status=VerificationStatus.PENDING)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = MembershipRole.MEMBER


class ExpertProfileFactory(DjangoModelFactory):
    class Meta:
        model = "marketplace.ExpertProfile"
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    kind = "technical"
    title = "教授"

    @factory.post_generation
    def fields(self, create, codes, **kwargs):
        if create:
            from marketplace.models import IndustryField

            self.industry_fields.set(IndustryField.objects.filter(code__in=codes or ["new-energy-batteries"]))
