"""Production hardening: request limits, production mode, headers, logs."""
