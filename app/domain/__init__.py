"""The domain: what resellers, customers and users are, and the rules that hold whatever stores or serves them."""
