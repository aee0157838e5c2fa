"""Development tools: a real Home Assistant and the Sendblue simulator."""
