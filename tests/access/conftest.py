"""The access suites use the API suites' systems: migrated-template copies, shared per module where
the module's tests run in its event loop (see tests/api/conftest.py)."""

from tests.api.conftest import (
    app,
    build_system,
    client,
    migrated_data_dir,
    module_app,
    module_client,
    module_settings,
    own_client,
    settings,
)

__all__ = [
    "app",
    "build_system",
    "client",
    "migrated_data_dir",
    "module_app",
    "module_client",
    "module_settings",
    "own_client",
    "settings",
]
