"""End-to-end tests: a real Home Assistant process against the Sendblue simulator."""
