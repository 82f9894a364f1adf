"""The access suites use the API suites' migrated-template settings (one embedded system per test)."""

from tests.api.conftest import migrated_data_dir, settings

__all__ = ["migrated_data_dir", "settings"]
