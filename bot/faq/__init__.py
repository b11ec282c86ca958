"""The FAQ: its file format, its list, and (with the bot issue) the matcher."""

from bot.faq.importer import FaqEntry, FaqFileError, import_entries, read_faq_file

__all__ = ["FaqEntry", "FaqFileError", "import_entries", "read_faq_file"]
