"""Real-browser tests of the Zendesk ticket sidebar."""
