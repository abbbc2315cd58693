"""A Telegram Bot API emulator (real wire format and error answers) for the demo and the tests."""
