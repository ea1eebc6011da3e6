"""Message search (DESIGN §8): substring semantics after NFKC and case folding."""
