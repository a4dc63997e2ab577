"""Intake: polling, webhook deliveries, the shared pipeline and sentiment."""
