"""``dkd-edge bench``: parity and latency of exported artifacts against the torch reference."""
