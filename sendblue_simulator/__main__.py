"""Run the simulator: python -m sendblue_simulator --port 8787."""

from .cli import main

raise SystemExit(main())
