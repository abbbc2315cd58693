"""Review #14: who counts as a member of a bound group for the map."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import ChatMemberLeft, ChatMemberMember, ChatMemberRestricted, User

from bot.config import Settings
from bot.tg.miniapp import VIEWER_TTL, in_group

PERSON = User(7, "Yani", is_bot=False)


def restricted(is_member: bool) -> ChatMemberRestricted:
    flags = dict.fromkeys(("can_change_info", "can_invite_users", "can_pin_messages", "can_send_messages",
                           "can_send_polls", "can_send_other_messages", "can_add_web_page_previews",
                           "can_manage_topics", "can_send_audios", "can_send_documents", "can_send_photos",
                           "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_edit_tag",
                           "can_react_to_messages"), False)
    return ChatMemberRestricted(PERSON, is_member, until_date=datetime(2030, 1, 1, tzinfo=UTC), **flags)


def test_a_restricted_person_who_left_the_group_gets_no_right_from_it() -> None:
    assert in_group(ChatMemberMember(PERSON)) and in_group(restricted(is_member=True))
    assert not in_group(restricted(is_member=False))
    assert not in_group(ChatMemberLeft(PERSON)) and not in_group(RuntimeError("chat not found"))


def test_signed_init_data_lasts_an_hour_and_rights_a_minute() -> None:
    assert Settings.model_fields["webapp_max_age"].default.total_seconds() == 3600
    assert VIEWER_TTL <= 60
