"""An end-to-end run on loopback: the emulator feeds the real callback."""
