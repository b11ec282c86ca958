"""Adaptive Card templates (Adaptive Cards 1.5, as Teams renders them)."""
