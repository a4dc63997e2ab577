"""Agent replies: planning them within a platform's rules, and posting each once."""
