"""Settings and the declared shape of every SharePoint list."""

from config.schema import ColumnSpec, ColumnType, ListSpec, Owner, load_list_specs
from config.settings import Settings, SettingsError, load_settings

__all__ = [
    "ColumnSpec",
    "ColumnType",
    "ListSpec",
    "Owner",
    "Settings",
    "SettingsError",
    "load_list_specs",
    "load_settings",
]
