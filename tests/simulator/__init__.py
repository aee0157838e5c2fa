"""Tests of the local Sendblue API simulator."""
