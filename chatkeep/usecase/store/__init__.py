"""The metadata matched to the disk: a chat's rescan, and the whole store's at start-up."""
