"""Credits: a customer's integer balance, and the ledger of every change of it. The sign of an amount is its
direction whatever its reason (the reason only labels the entry); no change may take a balance below 0."""

AMOUNT_MAX = 1_000_000_000
REASONS = ("TOPUP", "REFUND", "ADJUSTMENT")
# The reason of the entry made at creation when applyFreeCredits=true.
FREE_CREDITS = "FREE_CREDITS"
REFERENCE_MAX_LENGTH = 128
