"""Adaptive Card templates (version 1.5, what Teams renders) and their renderer."""

from cards.render import CONTENT_TYPE, TemplateError, attachment, inert, render

__all__ = ["CONTENT_TYPE", "TemplateError", "attachment", "inert", "render"]
