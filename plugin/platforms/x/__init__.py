"""X (API v2): mentions by polling and by webhook, replies counted as X counts them."""
