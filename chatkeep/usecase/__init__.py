"""One module per capability; ports in `interface`."""
