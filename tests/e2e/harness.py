"""The end-to-end tests run the real program through bot/sandbox/process.py (shared with the benchmarks)."""

from bot.sandbox.process import ROOT, SIGAP, BotProcess, free_port

__all__ = ["ROOT", "SIGAP", "BotProcess", "free_port"]
