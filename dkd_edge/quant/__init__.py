"""int8: the SDK's own pt2e quantizer (torchao), BN folding, QAT graphs."""
