"""Tests for the Sendblue integration."""
