"""業務改善提案: the form and its checks, numbers per fiscal year, filing through the outbox,
similar proposals, and support for an existing proposal."""
