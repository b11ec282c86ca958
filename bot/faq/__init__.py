"""The FAQ: its file format, the matcher that answers from it, and the service that keeps it fresh."""

from bot.faq.entry import FaqEntry
from bot.faq.importer import FaqFileError, import_entries, read_faq_file, write_faq_file
from bot.faq.matcher import Candidate, FaqMatcher, Match

__all__ = ["Candidate", "FaqEntry", "FaqFileError", "FaqMatcher", "Match", "import_entries",
           "read_faq_file", "write_faq_file"]
