"""Weight converters from the official implementations."""
