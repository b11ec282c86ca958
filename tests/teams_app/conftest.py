"""The fake Bot Connector fixture of the bot's tests, for the package test that runs the bot."""

from tests.bot.conftest import connector  # noqa: F401 - a fixture, found by pytest under this name
