"""The Computers tree (R18): the whole mirrored portal structure, with or without licenses."""
