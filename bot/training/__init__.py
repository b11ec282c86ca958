"""Each person's own training record, their leaders, and reminders of required courses."""
