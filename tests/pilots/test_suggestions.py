"""An achievement ready for a pilot (TRL 4–6) shows the filed bases that fit it, on its page."""

import pytest

from pilots.enums import FilingStatus
from tests.factories.achievements import AchievementFactory
from tests.factories.pilots import PilotBaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bases(db):
    return {
        "fit": PilotBaseFactory(name="长兴岛精细化工中试基地", processes="精细化工连续流合成、中试放大"),
        "draft": PilotBaseFactory(
            name="尚未备案的基地", processes="精细化工连续流合成、中试放大", status=FilingStatus.APPLIED
        ),
        "other": PilotBaseFactory(
            name="海洋生物概念验证中心",
            introduction="海洋生物成果的概念验证。",
            processes="海洋生物活性物质提取、发酵放大",
            fields=["marine-biology"],
        ),
    }


def test_a_pilot_ready_achievement_shows_fitting_filed_bases(client, bases):
    achievement = AchievementFactory(title="精细化工连续流合成新工艺", summary="连续流合成，收率高。", trl=5)
    page = client.get(achievement.get_absolute_url()).content.decode()
    assert 'id="pilot-suggestions"' in page
    assert "长兴岛精细化工中试基地" in page
    assert bases["fit"].get_absolute_url() in page
    assert "尚未备案的基地" not in page  # only filed bases
    assert "海洋生物概念验证中心" not in page  # nothing in common


@pytest.mark.parametrize("trl", [2, 8])
def test_no_suggestions_outside_trl_4_to_6(client, bases, trl):
    achievement = AchievementFactory(title="精细化工连续流合成新工艺", summary="连续流合成，收率高。", trl=trl)
    assert 'id="pilot-suggestions"' not in client.get(achievement.get_absolute_url()).content.decode()
