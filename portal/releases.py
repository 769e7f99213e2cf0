"""The portal's releases and the migration each app stood at in each of them.

An install upgrades from the release it runs, so an upgrade is tested from that release's schema with data in it
(``tests/test_upgrade.py``), and every migration written since is checked for what it does to a populated table
(``tests/test_migrations_safe.py``). A release's heads are fixed when it is tagged: add a ``Release`` here at
each release, with the head of every installed app that has migrations (ours and third-party ones, since a
dependency upgrade brings migrations too). An app missing from a release did not exist in it (its migrations
all run on upgrade).

The heads of 0.1.0 were read from commit 09f2f50 (``git show 09f2f50:<app>/migrations/``) and, for the
third-party apps, from the packages pinned in its ``requirements.lock`` (unchanged since; the apps added
after it, dbbackup and health_check, have no migrations)."""

from __future__ import annotations

from dataclasses import dataclass

# This code's version; ``pyproject.toml`` says the same (tested).
VERSION = "0.2.0"


@dataclass(frozen=True)
class Release:
    version: str
    commit: str
    heads: tuple[tuple[str, str], ...]  # (app label, last migration of that app in the release)

    def targets(self) -> list[tuple[str, str]]:
        """What ``MigrationExecutor.migrate`` takes to bring a database to this release's schema."""
        return list(self.heads)

    def head(self, app_label: str) -> str | None:
        return dict(self.heads).get(app_label)


RELEASES: tuple[Release, ...] = (
    Release(
        version="0.1.0",
        commit="09f2f50",
        heads=(
            ("contenttypes", "0002_remove_content_type_name"),
            ("auth", "0012_alter_user_first_name_max_length"),
            ("portal", "0006_user_nip"),
            ("admin", "0003_logentry_add_action_flag_choices"),
            ("sessions", "0001_initial"),
            ("knox", "0009_extend_authtoken_field"),
            ("django_celery_beat", "0019_alter_periodictasks_options"),
            ("axes", "0010_accessattemptexpiration"),
            ("monev", "0008_history_of_figures"),
            ("attendance", "0007_push_devices"),
            ("musrenbang", "0001_initial"),
        ),
    ),
)


def previous_release() -> Release:
    """The newest release older than this code: the one an install upgrades from."""
    return RELEASES[-1]
