"""Everything that speaks to or for Zendesk: the Channel Framework surface and its payloads."""
